#!/bin/sh
# Run once by the postgres image when it creates the primary's cluster:
# standbys may open replication connections with the cluster's password.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
