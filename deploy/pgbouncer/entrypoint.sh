#!/bin/sh
# Writes the database entry and the one user's password from the environment, then runs
# PgBouncer in the foreground. The password stays inside the container.
set -eu
umask 077
sed -e "s/@POSTGRES_DB@/${POSTGRES_DB}/g" /etc/pgbouncer/pgbouncer.ini.in > /var/lib/pgbouncer/pgbouncer.ini
printf '"%s" "%s"\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" > /var/lib/pgbouncer/userlist.txt
exec /usr/sbin/pgbouncer /var/lib/pgbouncer/pgbouncer.ini
