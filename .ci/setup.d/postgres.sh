# Sourced by .ci/run: a throwaway PostgreSQL server for the tests of the PostgreSQL backend.
#
# Installs Debian's `postgresql` only when its binaries are missing, creates a cluster in a
# temporary folder owned by the `postgres` user, starts it on a loopback port that is not the
# default (55432, or the next free one), creates the role and database `settle`, exports the
# DSN and registers the stop and the removal in `cleanups`.

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

if ! pg_bin >/dev/null; then
    echo "+ installing postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN=$(pg_bin)

pg_port=${SETTLE_CI_POSTGRES_PORT:-55432}
while "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || [ $? -ne 2 ]; do
    pg_port=$((pg_port + 1))
done

# Not under /root: the postgres user must reach the folder.
pg_dir=$(mktemp -d /tmp/settle-postgres.XXXXXX)
chown postgres: "$pg_dir"
# From / : the postgres user may not enter the checkout's folder.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=200" \
    start >/dev/null
cleanups+=("(cd / && runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$pg_dir/data' -m fast stop >/dev/null); rm -rf '$pg_dir'")
for _ in $(seq 50); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
    sleep 0.1
done
as_postgres "$PG_BIN/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE settle LOGIN PASSWORD 'settle' CREATEDB" \
    -c "CREATE DATABASE settle OWNER settle" >/dev/null

export SETTLE_TEST_POSTGRES_URL="postgresql://settle:settle@127.0.0.1:$pg_port/settle"
export SETTLE_REQUIRE_POSTGRES=1
echo "+ PostgreSQL on 127.0.0.1:$pg_port ($pg_dir)"
