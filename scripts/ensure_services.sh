#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1; start any that is down.
# Used by .ci/run and `make test`; safe to run when everything is already up.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # name port
  for _ in $(seq 1 60); do port_open "$2" && { echo "services: $1 is up on port $2"; return 0; }; sleep 1; done
  echo "services: $1 did not come up on port $2" >&2
  return 1
}

status=0
if ! port_open 5432; then
  echo "services: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
wait_for PostgreSQL 5432 || status=1

if ! port_open 6379; then
  echo "services: starting Redis"
  command -v redis-server >/dev/null && \
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
wait_for Redis 6379 || status=1

if ! port_open 5672; then
  echo "services: starting RabbitMQ"
  command -v rabbitmq-server >/dev/null && rabbitmq-server -detached || true
  wait_for RabbitMQ 5672 || echo "services: RabbitMQ unavailable (only its own tests need it)" >&2
fi
exit $status
