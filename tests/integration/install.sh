#!/usr/bin/env bash
# make install into a private DESTDIR: the installed binary runs and names
# the libraries it runs with, the manual page renders without a warning and
# covers every option of every --help, every environment variable the code
# reads and every exit code; the bash and zsh completions offer the commands,
# the options, the --format and --layout names the commands accept and the
# versions "lockmatrix pg" finds. make uninstall takes it all away again.
. "$(dirname "$0")/lib.sh"

dest="$WORK/root"
make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr >"$WORK/install.out" 2>&1
check_eq "make install DESTDIR PREFIX=/usr: exit 0" "$?" 0
sed 's/^/# /' "$WORK/install.out" | head -20

bin="$dest/usr/bin/lockmatrix"
man1="$dest/usr/share/man/man1/lockmatrix.1"
bashc="$dest/usr/share/bash-completion/completions/lockmatrix"
zshc="$dest/usr/share/zsh/site-functions/_lockmatrix"
check "the binary is installed, executable" test -x "$bin"
for f in "$man1" "$bashc" "$zshc"; do
    check "${f#"$dest"} is installed, mode 644" test "$(stat -c %a "$f" 2>/dev/null)" = 644
done
check_eq "nothing else is installed" "$(cd "$dest" && find . -type f | sort | tr '\n' ' ')" \
    "./usr/bin/lockmatrix ./usr/share/bash-completion/completions/lockmatrix ./usr/share/man/man1/lockmatrix.1 ./usr/share/zsh/site-functions/_lockmatrix "

# ---- the installed binary, run away from the source tree ---------------------
version=$(sed -n 's/^#define LOCKMATRIX_VERSION "\(.*\)"$/\1/p' "$ROOT/model/release.h")
(cd "$WORK" && "$bin" --version) >"$WORK/version.out" 2>&1
check_eq "--version: exit 0" "$?" 0
sed 's/^/# /' "$WORK/version.out"
check_eq "--version: first line is the version" "$(sed -n 1p "$WORK/version.out")" "lockmatrix $version"
for lib in libpq libpg_query SQLite libcurl zlib; do
    check "--version names the $lib it runs with" grep -qE "^$lib [0-9]" "$WORK/version.out"
done
check_eq "--version: the SQLite the sqlite3 shell runs with" \
    "$(awk '$1 == "SQLite" { print $2 }' "$WORK/version.out")" "$(sqlite3 --version | awk '{ print $1 }')"
if command -v curl-config >/dev/null; then
    check_eq "--version: the libcurl of curl-config" \
        "$(awk '$1 == "libcurl" { print $2 }' "$WORK/version.out")" "$(curl-config --version | awk '{ print $2 }')"
fi
(cd "$WORK" && "$bin" --help) >"$WORK/help.out" 2>&1
check_eq "--help: exit 0" "$?" 0
check "--help names the manual page" grep -q 'lockmatrix(1)' "$WORK/help.out"
echo "ALTER TABLE t ADD COLUMN c int;" >"$WORK/m.sql"
(cd "$WORK" && "$bin" analyze -V 17 --format json m.sql) >"$WORK/analyze.out" 2>&1
check_eq "the installed binary analyzes with its built-in lock table: exit 0" "$?" 0

# ---- the manual page -----------------------------------------------------------
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man1" >"$WORK/man.txt" 2>"$WORK/man.err"
check_eq "man -l --warnings: exit 0" "$?" 0
check_eq "man -l --warnings: no warning" "$(cat "$WORK/man.err")" ""
LC_ALL=C.UTF-8 groff -man -ww -z "$man1" >"$WORK/groff.err" 2>&1
check_eq "groff -man -ww: no warning" "$(cat "$WORK/groff.err")" ""
check "the page is lockmatrix(1)" grep -q '^LOCKMATRIX(1)' "$WORK/man.txt"
check "the page carries the version" grep -q "lockmatrix $version" "$WORK/man.txt"
check "no placeholder is left" test -z "$(grep -l '@VERSION[A-Z_]*@' "$man1")"
check "the supported majors of the version map" grep -q "every supported major ($PG_MIN to $PG_MAX)" "$man1"

# Every command, and every option any --help prints (usage lines, option
# lines and text), is in the page: "--against" is written "\-\-against".
commands=$(awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' "$WORK/help.out")
check "--help lists commands" test -n "$commands"
missing=()
for cmd in $commands docker-import; do
    grep -qF ".SS \"lockmatrix ${cmd//-/\\-} " "$man1" || missing+=("section $cmd")
    "$bin" "$cmd" --help >"$WORK/help-$cmd.out" 2>&1 || missing+=("$cmd --help fails")
    for o in $(grep -oE '(^|[][ ,|(])--?[a-zA-Z][-a-zA-Z0-9]*' "$WORK/help-$cmd.out" | sed 's/^[][ ,|(]//' | sort -u); do
        # a whole word: "\-d" is not found in "\-\-db", nor "\-\-run" in "\-\-runs"
        grep -qP -- "(?<![-\\w])\\Q${o//-/\\-}\\E(?![\\w]|\\\\-)" "$man1" || missing+=("$cmd $o")
    done
done
check_eq "every command and every option of every --help is in the page" "${missing[*]}" ""
missing=()
for v in $(grep -rhoE 'getenv\("[A-Za-z_]+"\)' "$ROOT"/main.c "$ROOT"/{common,matrix,runner,store,report,cmd}/*.c |
    sed 's/getenv("\(.*\)")/\1/' | sort -u); do
    grep -qxF ".B $v" "$man1" || missing+=("$v")
done
check_eq "every environment variable the code reads is in ENVIRONMENT" "${missing[*]}" ""
missing=()
for code in $(sed -n 's/^#define EXIT_[A-Z]* \([0-9]*\) .*/\1/p' "$ROOT/common/util.h") 0 130 143; do
    awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$man1" | grep -qxF ".B $code" ||
        missing+=("$code")
done
check_eq "every exit code is in EXIT STATUS" "${missing[*]}" ""
for f in /var/cache/lockmatrix ./lockmatrix.db; do
    check "FILES names $f" grep -qF "${f//-/\\-}" "$man1"
done

# ---- completions -------------------------------------------------------------
# What the commands accept, from their own refusal of a bogus name:
# 'unknown format "x" (text, json)'.
accepted() { # cmd option
    local args=(-d "$WORK/none.db")
    case $1 in run) args+=("$WORK/none") ;; analyze) args=("$WORK/none") ;; esac
    (cd "$WORK" && "$bin" "$1" "$2" bogus "${args[@]}" 2>&1 >/dev/null) |
        sed -nE 's/^lockmatrix: unknown [a-z]+ "bogus" \((.*)\)$/\1/p' |
        head -1 | sed 's/, /\n/g'
}
export PATH="$dest/usr/bin:$PATH"
check "bash -n on the bash completion" bash -n "$bashc"
bash_complete() { # words...: what <TAB> after them offers, one a line
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lockmatrix; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$bashc" "$@" 2>&1
}
check_eq "bash: lockmatrix re<TAB>" "$(bash_complete lockmatrix re)" report
check_eq "bash: lockmatrix <TAB> offers the commands" "$(bash_complete lockmatrix '' | tr '\n' ' ')" \
    "$(tr '\n' ' ' <<<"$commands")"
check_eq "bash: lockmatrix report --format <TAB>" "$(bash_complete lockmatrix report --format '' | tr '\n' ' ')" \
    "text markdown json html sarif "
check_eq "bash: lockmatrix report --format=m<TAB>" "$(bash_complete lockmatrix report --format = m)" markdown
check_eq "bash: lockmatrix runs --<TAB>" "$(bash_complete lockmatrix runs -- | tr '\n' ' ')" "--format --db --help "
majors=$("$bin" pg 2>/dev/null | awk 'NR > 1 { print $1 }' | tr '\n' ' ')
check_eq "bash: lockmatrix run -V <TAB> offers the majors of lockmatrix pg" \
    "$(bash_complete lockmatrix run -V '' | tr '\n' ' ')" "$majors"
check_eq "bash: lockmatrix run -V 12,1<TAB> completes after the comma" \
    "$(bash_complete lockmatrix run -V 12,1 | head -1)" "12,$(echo "$majors" | awk '{ print $1 }')"
for co in "report --format" "runs --format" "analyze --format" "locktable --format" "run --layout" "analyze --layout"; do
    # shellcheck disable=SC2086
    want=$(accepted $co)
    # shellcheck disable=SC2086
    check_eq "bash: $co <TAB> offers what $co accepts" "$(bash_complete lockmatrix $co '')" "$want"
done
# The formats of report are one table: its --help, the command list of
# lockmatrix --help, the manual page and the completion name the same ones.
formats=$(accepted report --format)
check "report accepts some formats" test -n "$formats"
check_eq "report --help lists the formats report accepts" \
    "$(sed -nE 's/^ +-f, --format FORMAT +//p' "$WORK/help-report.out" | sed 's/, /\n/g')" "$formats"
check_eq "lockmatrix --help lists the same formats" \
    "$(sed -nE 's/^ +report +report a stored run \((.*)\)$/\1/p' "$WORK/help.out" | sed 's/, /\n/g')" "$formats"
check_eq "the manual page lists the same formats" \
    "$(awk '/^\.SS/ { sec = index($0, "\"lockmatrix report ") > 0 }
            sec && /^\.BI \\-f ", " \\-\\-format/ { on = 1; next }
            on && /^\.TP/ { on = 0 }
            on && /^\.BR? / { print $2 }' "$man1")" "$formats"
check_eq "bash: report --format <TAB> offers what report --help lists" \
    "$(bash_complete lockmatrix report --format '')" \
    "$(sed -nE 's/^ +-f, --format FORMAT +//p' "$WORK/help-report.out" | sed 's/, /\n/g')"
for cmd in $commands; do
    # shellcheck disable=SC2046
    check_eq "bash: lockmatrix $cmd -<TAB> offers the options of its --help" \
        "$(bash_complete lockmatrix "$cmd" - | sort | tr '\n' ' ')" \
        "$(grep -oE '^ +(-[a-zA-Z], )?--[a-z][-a-z]*' "$WORK/help-$cmd.out" | tr -d ' ,' | sed 's/\(..\)\(--\)/\1\n\2/' | sort | tr '\n' ' ')"
done

if command -v zsh >/dev/null; then
    check "zsh -n on the zsh completion" zsh -n "$zshc"
    # The completion system's builtins stand in as functions that print what
    # they are given, so that _lockmatrix runs outside an interactive shell.
    cat >"$WORK/zt.zsh" <<'EOF'
_describe() { local -a a; a=("${(@P)4}"); a=("${a[@]%%:*}"); print -l -- ${(M)a:#${PREFIX}*} }
compadd() { while [[ $1 == -* ]]; do [[ $1 == -- ]] && { shift; break }; shift; done
            local w; for w in "$@"; do [[ $w == ${PREFIX}* ]] && print -r -- "$IPREFIX$w"; done }
compset() { [[ $1 == -P ]] || return 1; local p=${(M)PREFIX##$~2}; [[ -n $p ]] || return 1; IPREFIX+=$p; PREFIX=${PREFIX#$p} }
_files() { print -r -- "<files>" }
_message() { print -r -- "<message>" }
source $1 >/dev/null 2>&1
shift
words=("$@"); CURRENT=$#; PREFIX=${words[-1]}; IPREFIX=
_lockmatrix
EOF
    zsh_complete() { zsh -f "$WORK/zt.zsh" "$zshc" "$@" 2>&1; }
    check_eq "zsh: lockmatrix re<TAB>" "$(zsh_complete lockmatrix re)" report
    check_eq "zsh: lockmatrix report --format <TAB>" "$(zsh_complete lockmatrix report --format '' | tr '\n' ' ')" \
        "text markdown json html sarif "
    check_eq "zsh: lockmatrix report --format=h<TAB>" "$(zsh_complete lockmatrix report --format=h)" "--format=html"
    check_eq "zsh: lockmatrix run -V <TAB> offers the majors of lockmatrix pg" \
        "$(zsh_complete lockmatrix run -V '' | tr '\n' ' ')" "$majors"
    check_eq "zsh: lockmatrix run -d <TAB> offers files" "$(zsh_complete lockmatrix run -d '')" "<files>"
    # And in an interactive zsh with the completion system, on a pseudo
    # terminal: what one <TAB> draws, waited for up to 10 s.
    cat >"$WORK/zpty.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
zpty z "TERM=dumb HOME=$WORK zsh -f -i"
zpty -w z "PS1='%% '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; unsetopt beep; zstyle ':completion:*' list-prompt ''; print READY"
zpty -r z out '*READY*'
zpty -r z out '*% '
zpty -w -n z "$2"$'\t'
local all= out
for i in {1..100}; do
    while zpty -r -t z out; do all+=$out; done
    [[ ${all//$'\r'/} == $~3 ]] && break
    sleep 0.1
done
zpty -d z
print -r -- "${all//$'\r'/}"
EOF
    zsh_tab() { # line, grep pattern, zsh pattern to wait for
        env WORK="$WORK" zsh -f "$WORK/zpty.zsh" "$(dirname "$zshc")" "$1" "$3" >"$WORK/zpty.out" 2>&1
        if grep -qE "$2" "$WORK/zpty.out"; then return 0; fi
        sed 's/^/# /' "$WORK/zpty.out" | cat -v
        return 1
    }
    check "zsh (interactive): lockmatrix re<TAB> gives report" \
        zsh_tab "lockmatrix re" "lockmatrix report " "*report *"
    check "zsh (interactive): lockmatrix report --format <TAB> lists the formats" \
        zsh_tab "lockmatrix report --format " "html +json +markdown +sarif +text" "*html*sarif*"
    check "zsh (interactive): lockmatrix analyze --layout <TAB> lists the layouts" \
        zsh_tab "lockmatrix analyze --layout " "golang-migrate" "*golang-migrate*typeorm*"
    # The two read every help alike (the zsh file repeats the bash awk program).
    for cmd in $commands; do
        check_eq "zsh and bash read lockmatrix $cmd --help alike" \
            "$(zsh -fc '. "$1"; _lockmatrix_options lockmatrix "$2"' _ "$zshc" "$cmd" 2>&1 | md5sum)" \
            "$(bash -c '. "$1"; _lockmatrix_options lockmatrix "$2"' _ "$bashc" "$cmd" 2>&1 | md5sum)"
    done
else
    echo "# zsh is not installed: the zsh completion is not checked (make setup installs it)"
fi

# ---- uninstall -----------------------------------------------------------------
make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr >"$WORK/uninstall.out" 2>&1
check_eq "make uninstall: exit 0" "$?" 0
check_eq "make uninstall leaves no file" "$(find "$dest" -type f | wc -l)" 0
finish
