/*
 * release: lockmatrix's own version, the one home of it (the Makefile reads
 * it for the manual page; --version and the reports print it).
 */
#ifndef LM_RELEASE_H
#define LM_RELEASE_H

#define LOCKMATRIX_VERSION "0.1.0"

#endif
