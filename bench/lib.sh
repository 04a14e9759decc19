# bench/lib.sh -- what bench/run and bench/profile share: the instance under
# test (bench/nginx.conf.in), its approval cookies, one wrk run, and the
# module's counters. Sourced, not run.
#
# Expects ROOT; sets DIR (a temporary directory), PORT, BACKEND, BASE_URL,
# WORKER (the worker's pid), COOKIES (the two approval cookies, as one
# Cookie header value), UA.

NGINX=${NGINX:-/usr/sbin/nginx}
PA_SO=${PA_SO:-$ROOT/build/ngx_http_push_approval_module.so}
UA='pa-bench/1 (wrk)'
CONNS=${CONNS:-32}
DIR=
NGINX_UP=
NGINX_CONF=
COOKIES=
BENCH_SUBST=()

die() { echo "bench: $*" >&2; exit 1; }

# the Debian package of a tool
deb_of() {
    case $1 in
        wrk) echo wrk ;;
        perf) echo linux-perf ;;
        valgrind|callgrind_control|callgrind_annotate) echo valgrind ;;
        cc) echo build-essential ;;
        taskset) echo util-linux ;;
        ss) echo iproute2 ;;
        redis-cli|redis-benchmark) echo redis-tools ;;
        *) echo "$1" ;;
    esac
}

# the tools needed; missing ones are installed from Debian when root
bench_require() {
    local tool missing=
    for tool in wrk taskset curl perl ss "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing="$missing $(deb_of "$tool")"
    done
    if [ -n "$missing" ]; then
        [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
            die "missing:$missing (Debian packages)"
        echo "bench: installing$missing" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
            > /dev/null || die "apt-get install$missing failed"
    fi
    [ -x "$NGINX" ] || die "$NGINX is missing (Debian: nginx)"
    [ -f "$PA_SO" ] || die "$PA_SO is missing: run make first"
    [ "$(nproc)" -ge 2 ] || die "needs 2 cores: one for the nginx worker, one for wrk"
}

nginx_cmd() { "$NGINX" -p "$DIR" -c "$NGINX_CONF" -e "$DIR/error.log" "$@"; }

bench_cleanup() {
    local p
    for p in ${BENCH_PIDS:-}; do
        kill "$p" 2>/dev/null || true
    done
    if [ -n "$NGINX_UP" ] && [ -f "$DIR/nginx.pid" ]; then
        nginx_cmd -s stop 2>/dev/null || true
        sleep 0.5
    fi
    if [ -n "${OUT:-}" ] && [ -f "$DIR/error.log" ]; then
        cp -f "$DIR/error.log" "$OUT/error.log" 2>/dev/null || true
    fi
    if [ -n "$DIR" ]; then
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            echo "bench: kept $DIR" >&2
        else
            rm -rf "$DIR"
        fi
    fi
}

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

bench_ports() {
    if [ -n "${BENCH_PORT:-}" ]; then
        PORT=$BENCH_PORT
        port_free "$PORT" && port_free $((PORT + 1)) || die "port $PORT or $((PORT + 1)) is in use"
    else
        PORT=18480
        until port_free "$PORT" && port_free $((PORT + 1)); do
            PORT=$((PORT + 2))
            [ "$PORT" -lt 18600 ] || die "no free pair of ports in 18480-18600"
        done
    fi
    BACKEND=$((PORT + 1))
    BASE_URL=http://127.0.0.1:$PORT
}

# the working directory: a copy of the module, the key file, the files
# served, the configuration (nginx.conf, and nginx-callgrind.conf: one
# process, in the foreground, for valgrind)
bench_prepare() {
    DIR=$(mktemp -d /tmp/pa-bench.XXXXXX)
    chmod 755 "$DIR"
    bench_ports

    cp -f "$PA_SO" "$DIR/module.so"
    mkdir -p "$DIR/html/open" "$DIR/html/gated" "$DIR/html/authreq"

    # the file every compared location serves: 1 KiB of HTML
    perl -e 'my $s = "<!doctype html><title>bench</title><p>";
             $s .= "x" x (1023 - length $s); print $s, "\n"' > "$DIR/html/open/file.html"
    cp "$DIR/html/open/file.html" "$DIR/html/gated/file.html"
    cp "$DIR/html/open/file.html" "$DIR/html/authreq/file.html"
    # bench/nginx-more.conf.in's places
    mkdir -p "$DIR/html/hold" "$DIR/html/delayed"
    cp "$DIR/html/open/file.html" "$DIR/html/hold/file.html"
    cp "$DIR/html/open/file.html" "$DIR/html/delayed/file.html"

    printf 'k1 %s\n' "$(head -c 32 /dev/urandom | base64)" > "$DIR/keys"
    chmod 600 "$DIR/keys"

    # BENCH_CONF_IN: another template (bench/nginx-more.conf.in);
    # BENCH_SUBST: more sed expressions for it; BENCH_REDIS_CONF: what
    # replaces @REDIS@ (push_approval_redis ...), by default nothing
    sed -e "s|@DIR@|$DIR|g" -e "s|@SO@|$DIR/module.so|g" \
        -e "s|@PORT@|$PORT|g" -e "s|@BACKEND@|$BACKEND|g" \
        -e "s|@REDIS@|${BENCH_REDIS_CONF:-# push_approval_redis: not used}|g" \
        "${BENCH_SUBST[@]/#/-e}" \
        "${BENCH_CONF_IN:-$ROOT/bench/nginx.conf.in}" > "$DIR/nginx.conf"
    sed -e 's/^worker_cpu_affinity.*/master_process off;\ndaemon off;/' \
        "$DIR/nginx.conf" > "$DIR/nginx-callgrind.conf"
    NGINX_CONF=$DIR/nginx.conf
}

wait_up() {
    local i
    for i in $(seq 100); do
        curl -s -o /dev/null "$BASE_URL/open/file.html" && return 0
        sleep 0.2
    done
    die "nginx does not answer on $BASE_URL"
}

bench_start() {
    nginx_cmd -t -q || die "nginx -t failed, see $DIR/error.log"
    nginx_cmd || die "nginx did not start"
    NGINX_UP=1
    wait_up
    WORKER=$(pgrep -P "$(cat "$DIR/nginx.pid")" | head -1)
    [ -n "$WORKER" ] || die "no worker process"
}

# hold a request to PATH, approve it as "ops" through the console, print
# NAME=VALUE of the Set-Cookie of the held response
approve_cookie() {
    local path=$1 hdr pid url i res scope

    hdr=$DIR/held.$RANDOM.hdr
    scope=${path%/*}/
    curl -s -o /dev/null -D "$hdr" -A "$UA" --max-time 30 "$BASE_URL$path" &
    pid=$!

    url=
    for i in $(seq 100); do
        url=$(curl -s -H 'Accept: application/json' "$BASE_URL/_pa/console/?who=ops" |
              perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || [];
                  for (@$j) { if ($_->{scope} eq $ARGV[0]) { print $_->{approve_url}; last } }' "$scope")
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { kill "$pid" 2>/dev/null; die "no pending challenge for $scope in the console"; }

    res=$(curl -s -H 'Accept: application/json' --data decision=approve "$url")
    case $res in
        *'"status":"approved"'*) ;;
        *) kill "$pid" 2>/dev/null; die "approving $scope failed: $res" ;;
    esac

    wait "$pid" || die "the held request to $path failed"
    head -1 "$hdr" | grep -q ' 200' || die "the held request to $path got $(head -1 "$hdr")"
    sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\);.*/\1/p' "$hdr" | head -1
}

bench_cookies() {
    local a b
    a=$(approve_cookie /gated/file.html)
    b=$(approve_cookie /gated-proxy/file.html)
    [ -n "$a" ] && [ -n "$b" ] || die "no approval cookie"
    COOKIES="$a; $b"
}

# the HTTP status of PATH with the cookies
status_of() {
    curl -s -o /dev/null -w '%{http_code}' -A "$UA" -H "Cookie: $COOKIES" "$BASE_URL$1"
}

# busy ticks of CPU 0 (user nice system irq softirq steal) and the
# worker's own (utime stime)
cpu0_ticks() { awk '$1 == "cpu0" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
worker_ticks() { awk '{ print $14 + $15 }' "/proc/$WORKER/stat"; }

# wait (at most 60 s) until both CPUs were less than 10% busy for a second:
# the machine may be shared
QUIET_WAITED=0
wait_quiet() {
    local i busy
    # BENCH_QUIET_MAX: at most this many seconds (default 60)
    for i in $(seq "${BENCH_QUIET_MAX:-60}"); do
        busy=$(perl -e '
            sub snap { open my $f, "<", "/proc/stat" or die; my %t;
                       while (<$f>) { next unless /^(cpu\d+) (.*)/; my @v = split / /, $2;
                                      $t{$1} = [$v[0] + $v[1] + $v[2] + $v[5] + $v[6] + $v[7],
                                                $v[0] + $v[1] + $v[2] + $v[3] + $v[4] + $v[5] + $v[6] + $v[7]] }
                       return \%t }
            my $a = snap(); select undef, undef, undef, 1; my $b = snap(); my $m = 0;
            for (keys %$b) { my $d = $b->{$_}[1] - $a->{$_}[1] or next;
                             my $x = ($b->{$_}[0] - $a->{$_}[0]) / $d; $m = $x if $x > $m }
            printf "%d", $m * 100')
        [ "$busy" -lt 10 ] && return 0
        QUIET_WAITED=$((QUIET_WAITED + 1))
    done
    echo "bench: the machine stayed busy (${busy}% on a CPU), measuring anyway" >&2
}

# run_wrk FILE PATH SECONDS
#   -> "rps requests non2xx socket_errors p50_ms p99_ms"
run_wrk() {
    local file=$1 path=$2 secs=$3
    taskset -c 1 wrk -t1 -c"$CONNS" -d"${secs}s" --latency \
        -H "User-Agent: $UA" -H "Cookie: $COOKIES" "$BASE_URL$path" > "$file" 2>&1 \
        || die "wrk failed, see $file"
    perl -ne '
        $rps = $1 if /^Requests\/sec:\s+([\d.]+)/;
        $n = $1 if /^\s*(\d+) requests in/;
        $bad = $1 if /Non-2xx or 3xx responses:\s*(\d+)/;
        if (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) { $se = $1 + $2 + $3 + $4 }
        sub ms { my ($v, $u) = @_; $u eq "us" ? $v / 1000 : $u eq "s" ? $v * 1000 : $v }
        $p50 = ms($1, $2) if /^\s+50%\s+([\d.]+)(us|ms|s)/;
        $p99 = ms($1, $2) if /^\s+99%\s+([\d.]+)(us|ms|s)/;
        END { printf "%.2f %d %d %d %.3f %.3f\n", $rps, $n, $bad + 0, $se + 0, $p50, $p99 }' "$file"
}

# the module's counters (push_approval_metrics)
metric() {   # valid | rejected | journal
    curl -s "$BASE_URL/_pa/metrics" | perl -ne '
        BEGIN { $w = shift @ARGV; $s = 0 }
        if (/^push_approval_cookie_checks_total\{.*result="([^"]*)"\} (\d+)/) {
            $s += $2 if ($w eq "valid" && $1 eq "valid") || ($w eq "rejected" && $1 ne "valid");
        }
        $s += $1 if $w eq "journal" && /^push_approval_events_total\{sink="journal"\} (\d+)/;
        END { print $s }' "$1"
}

journal_bytes() { cat "$DIR"/journal/*.ndjson 2>/dev/null | wc -c; }

# the journal grows by about 0.5 KB a request: it is emptied between
# rounds (the worker appends with O_APPEND and goes on at the new end).
# Not with Redis shipping: the worker reads its file back to ship it
journal_truncate() {
    [ -z "${REDIS_PORT:-}" ] || return 0
    local j; for j in "$DIR"/journal/*.ndjson; do : > "$j"; done
}

machine_info() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//'), family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1) model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1), $(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -1) MHz"
    echo "kernel: $(uname -sr)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    echo "openssl: $(openssl version 2>/dev/null || echo '?')"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "module: $PA_SO sha256 $(sha256sum "$PA_SO" | cut -c1-16)"
    if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- ngx_http_push_approval_module config 2>/dev/null || echo ' (module sources modified)')"
    fi
}

# --- for figures 3 to 6 (bench/held, resume, ship, steady) and figure 1 with
# Redis ------------------------------------------------------------------------

# the project's own client (bench/pa-client.c), built by make
PA_CLIENT=${PA_CLIENT:-${PA_BUILD_DIR:-$ROOT/build}/bench/pa-client}
pa_client_require() {
    if [ ! -x "$PA_CLIENT" ] || [ "$ROOT/bench/pa-client.c" -nt "$PA_CLIENT" ]; then
        mkdir -p "$(dirname "$PA_CLIENT")"
        cc -O2 -g -Wall -Wextra -Werror -o "$PA_CLIENT" "$ROOT/bench/pa-client.c" ||
            die "cannot build $PA_CLIENT"
    fi
}

# the value of the first metric line that matches the Perl regex $1
# (e.g. 'push_approval_pending\{zone="pa"\}'), 0 when none
metric_value() {
    curl -s "$BASE_URL/_pa/metrics" |
        perl -ne 'BEGIN { $re = shift @ARGV; $v = 0 } if (/^$re (\S+)/) { $v = $1; last } END { print $v + 0 }' "$1"
}

zone_bytes() { metric_value 'push_approval_zone_bytes_used\{zone="pa"\}'; }
pending() { metric_value 'push_approval_pending\{zone="pa"\}'; }

# every worker of the instance
worker_pids() { pgrep -P "$(cat "$DIR/nginx.pid")" | sort -n; }

# resident set size of a process, in KiB
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# stub_status: requests being processed ("Writing")
writing() { curl -s "$BASE_URL/_status" | awk '/Writing/ { print $4 }'; }

# the instance stopped, its directory removed (for a fresh one)
bench_stop() {
    if [ -n "$NGINX_UP" ] && [ -f "$DIR/nginx.pid" ]; then
        local m
        m=$(cat "$DIR/nginx.pid")
        nginx_cmd -s stop 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$m" 2>/dev/null || break; sleep 0.1; done
    fi
    NGINX_UP=
}

# fail on [alert], [crit] or [emerg] in the error log
errlog_check() {
    if grep -E '\[(alert|crit|emerg)\]' "$DIR/error.log" > /dev/null 2>&1; then
        grep -E '\[(alert|crit|emerg)\]' "$DIR/error.log" | head -5 >&2
        die "[alert]/[crit]/[emerg] in the error log ($DIR/error.log)"
    fi
}

# Redis: a private redis-server on CPU 1 (the load generator's), no
# persistence unless REDIS_SAVE=1 (then SHUTDOWN SAVE keeps the stream).
# REDIS_IDLE=1 runs it under SCHED_IDLE: it gets CPU 1 only when the load
# generator does not want it, as if Redis were on a machine of its own.
REDIS_PORT=
REDIS_PID=
redis_port() {
    REDIS_PORT=16379
    until port_free "$REDIS_PORT"; do
        REDIS_PORT=$((REDIS_PORT + 1))
        [ "$REDIS_PORT" -lt 16479 ] || die "no free port for Redis in 16379-16479"
    done
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
redis_start() {
    mkdir -p "$DIR/redis"
    local idle=()
    [ "${REDIS_IDLE:-0}" != 1 ] || idle=(chrt --idle 0)
    taskset -c 1 "${idle[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" \
        --save '' --appendonly no --daemonize no --logfile "$DIR/redis/redis.log" &
    REDIS_PID=$!
    BENCH_PIDS="${BENCH_PIDS:-} $REDIS_PID"
    for _ in $(seq 100); do
        [ "$(rcli ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.05
    done
    die "redis-server does not answer on $REDIS_PORT"
}
redis_stop() {   # [save]
    [ -n "$REDIS_PID" ] || return 0
    if [ "${1:-}" = save ]; then rcli shutdown save > /dev/null 2>&1 || true
    else rcli shutdown nosave > /dev/null 2>&1 || true; fi
    wait "$REDIS_PID" 2>/dev/null || true
    BENCH_PIDS=${BENCH_PIDS// $REDIS_PID/}
    REDIS_PID=
}

# Redis shipping caught up: the backlog drains (at most SECS, default 60),
# then the stream must hold every event the journal got, once
REDIS_STREAM=pa:events
redis_caught_up() {   # [SECS]
    local i b=-1 x j
    for i in $(seq $(( ${1:-60} * 10 ))); do
        b=$(metric_value 'push_approval_journal_backlog_bytes')
        [ "$b" = 0 ] && break
        sleep 0.1
    done
    [ "$b" = 0 ] || die "Redis shipping: $b bytes of backlog after ${1:-60} s"
    x=$(rcli xlen "$REDIS_STREAM")
    j=$(metric journal)
    echo "redis: backlog 0, XLEN $x, journal events $j, shipped $(metric_value 'push_approval_events_total\{sink="redis"\}')"
    [ "$x" = "$j" ] || die "Redis shipping: XLEN $x, but the journal got $j events"
}
