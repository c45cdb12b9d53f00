#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:6379 (the queue of `permafrost schedule` / `worker` and
# of the test suite): installs redis-server when it is missing and starts it in the background,
# without persistence (the tests' queues are throwaway). Safe to run again.
set -euo pipefail
ping_redis() {
  if command -v redis-cli > /dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2> /dev/null)" = PONG ]
  else
    # no client installed: speak the protocol through bash's /dev/tcp
    exec 3<> /dev/tcp/127.0.0.1/6379 2> /dev/null || return 1
    printf 'PING\r\n' >&3
    local reply
    read -r -t 2 reply <&3 || reply=
    exec 3>&-
    [ "${reply%$'\r'}" = +PONG ]
  fi
}
if ping_redis; then
  echo "redis: 127.0.0.1:6379 answers"
  exit 0
fi
if ! command -v redis-server > /dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
    echo "redis: no Redis on 127.0.0.1:6379 and redis-server is not installed; install it (apt-get install redis-server) or start one" >&2
    exit 1
  fi
  apt-get install -y -o DPkg::Lock::Timeout=600 redis-server > /dev/null 2>&1 ||
    { apt-get update -o DPkg::Lock::Timeout=600 > /dev/null && apt-get install -y -o DPkg::Lock::Timeout=600 redis-server > /dev/null; }
fi
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no > /dev/null
for _ in $(seq 1 50); do
  if ping_redis; then
    echo "redis: started on 127.0.0.1:6379"
    exit 0
  fi
  sleep 0.2
done
echo "redis: redis-server did not answer on 127.0.0.1:6379 after starting it" >&2
exit 1
