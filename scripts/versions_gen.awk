# versions_gen.awk: model/versions.tsv (the version map) into the C header
# model/versions_gen.h that model/versions.h includes. The Makefile runs it:
#   awk -f scripts/versions_gen.awk model/versions.tsv > .../versions_gen.h
# Refuses a map that is not ascending without gaps.
/^[ \t]*(#|$)/ { next }
{
    if ($1 !~ /^[0-9]+$/ || $2 == "") { printf "%s:%d: expected MAJOR<TAB>NPM-VERSION\n", FILENAME, FNR > "/dev/stderr"; bad = 1; exit 1 }
    if (n > 0 && $1 != last + 1) { printf "%s:%d: major %s after %s: the majors must follow each other\n", FILENAME, FNR, $1, last > "/dev/stderr"; bad = 1; exit 1 }
    if (n == 0) first = $1
    last = $1
    list = list (n ? "," : "") $1
    n++
}
END {
    if (bad) exit 1
    if (n == 0) { printf "%s: no major\n", FILENAME > "/dev/stderr"; exit 1 }
    print "/* Generated from model/versions.tsv by scripts/versions_gen.awk: do not edit. */"
    print "#ifndef LM_VERSIONS_GEN_H"
    print "#define LM_VERSIONS_GEN_H"
    printf "#define VERSIONS_MIN %d\n", first
    printf "#define VERSIONS_MAX %d\n", last
    print "/* every supported major: what a run covers by default */"
    printf "#define VERSIONS_DEFAULT \"%d-%d\"\n", first, last
    printf "#define VERSIONS_ALL \"%s\"\n", list
    print "#endif"
}
