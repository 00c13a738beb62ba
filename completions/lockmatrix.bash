# bash completion for lockmatrix(1), installed by "make install" as
# <prefix>/share/bash-completion/completions/lockmatrix.
#
# Nothing is listed here: every word offered comes, at completion time, from
# the lockmatrix being completed, so the two cannot drift apart:
#   commands           the "commands:" list of "lockmatrix --help"
#   options            the option lines of "lockmatrix COMMAND --help"
#   --format, --layout the names listed in that option's help text
#   -V                 the versions found by "lockmatrix pg" (17, 17.9)
#   --min-version      the majors among them
# completions/_lockmatrix (zsh) reads the help with the same awk program.

# _lockmatrix_options LM CMD: one line per option of CMD's --help:
# "NAME<TAB>ARG<TAB>DESCRIPTION<TAB>VALUES" (ARG empty for a flag; VALUES the
# names the help lists for --format and --layout, space-separated).
_lockmatrix_options()
{
    "$1" "$2" --help 2>/dev/null | awk '
        function flush(   d, v, n, i, w) {
            if (!nopt) return
            d = desc
            v = ""
            if (opt[nopt] == "--format" || opt[nopt] == "--layout") {
                gsub(/\([^)]*\)/, "", d)
                if (index(d, ":")) sub(/.*:/, "", d)
                n = split(d, w, /[ ,|]+/)
                for (i = 1; i <= n; i++)
                    if (w[i] ~ /^[a-z][a-z0-9-]*$/ && w[i] != "or") v = v (v == "" ? "" : " ") w[i]
            }
            for (i = 1; i <= nopt; i++) printf "%s\t%s\t%s\t%s\n", opt[i], arg, first, v
            nopt = 0
        }
        /^ +-/ {
            flush()
            line = $0
            sub(/^ +/, "", line)
            # "-V, --versions LIST   text", "--each   text", "--max-risk LEVEL text"
            while (match(line, /^-[-a-zA-Z0-9]+(, )?/)) {
                name = substr(line, 1, RLENGTH)
                sub(/, $/, "", name)
                opt[++nopt] = name
                line = substr(line, RLENGTH + 1)
            }
            arg = ""
            if (match(line, /^ [^ ]*[A-Z][^ ]*/)) {
                arg = substr(line, 2, RLENGTH - 1)
                line = substr(line, RLENGTH + 1)
            }
            sub(/^ +/, "", line)
            first = desc = line
            next
        }
        nopt && /^         *[^ -]/ { line = $0; sub(/^ +/, "", line); desc = desc " " line; next }
        { flush() }
        END { flush() }'
}

# _lockmatrix_commands LM: the commands "lockmatrix --help" lists.
_lockmatrix_commands()
{
    "$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'
}

# _lockmatrix_majors LM [minors]: the majors of the PostgreSQL installations
# found, and with "minors" the minor releases beside them (17.9).
_lockmatrix_majors()
{
    "$1" pg 2>/dev/null | awk -v minors="${2:-}" 'NR > 1 && ($1 ~ /^[0-9]+$/ || (minors && $1 ~ /^[0-9]+\.[0-9]+$/)) { print $1 }'
}

_lockmatrix()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local lm=${COMP_WORDS[0]}
    # shellcheck disable=SC2088 # a literal "~/" the shell left unexpanded
    [[ $lm == "~/"* ]] && lm=$HOME/${lm#"~/"}
    COMPREPLY=()

    if [ "$COMP_CWORD" -eq 1 ]; then
        local words
        words=$(_lockmatrix_commands "$lm")
        if [[ $cur == -* ]]; then words="--help --version"; fi
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return 0
    fi

    local cmd=${COMP_WORDS[1]} table
    table=$(_lockmatrix_options "$lm" "$cmd")

    # --opt=value: complete the value as if it were the next word. With "="
    # in COMP_WORDBREAKS (the default) that is the words "--opt" "=" "value".
    local opt=$prev value=$cur eq=
    if [ "$cur" = "=" ] && [[ $prev == --* ]]; then
        value=
    elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 3 ]; then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*} value=${cur#*=} eq=1
    fi
    local name arg values found=
    while IFS=$'\t' read -r name arg _ values; do
        if [ "$name" = "$opt" ]; then
            found=1
            break
        fi
    done <<<"$table"
    if [ -n "$found" ] && [ -n "$arg" ]; then
        local -a reply=()
        if [ -n "$values" ]; then
            mapfile -t reply < <(compgen -W "$values" -- "$value")
        elif [ "$opt" = -V ] || [ "$opt" = --versions ] || [ "$opt" = --min-version ]; then
            # A list: "12,1<TAB>" completes the part after the last comma.
            local head= minors=1
            [[ $value == *,* && $opt != --min-version ]] && head=${value%,*},
            [ "$opt" = --min-version ] && minors=
            mapfile -t reply < <(compgen -P "$head" -W "$(_lockmatrix_majors "$lm" $minors)" -- "${value##*,}")
        elif [[ $arg == *FILE* || $arg == *DIR* || $arg == TAR ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t reply < <(compgen -f -- "$value")
        fi
        if [ -n "$eq" ]; then
            COMPREPLY=("${reply[@]/#/$opt=}")
        else
            COMPREPLY=("${reply[@]}")
        fi
        return 0
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(cut -f1 <<<"$table")" -- "$cur")
        return 0
    fi
    case $cmd in
    run | analyze | merge)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    esac
    return 0
}
complete -F _lockmatrix lockmatrix
