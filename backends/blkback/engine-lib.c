/* SPDX-License-Identifier: MIT */
/*
 * engine-lib.c - loading a network-disk engine's shared library at run
 * time (engine-lib.h says why and how).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/blkback/engine-lib.h"

/* dlsym() answers a void *; a function pointer has the same size and
 * representation on every platform duet runs on (POSIX requires it). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function and object pointers differ");

/*
 * dlerror()'s text says the file itself is missing: glibc writes
 * "<name>: cannot open shared object file: <strerror>" with the name of
 * the object it could not find, ours or one of its dependencies'.
 */
static int file_missing(const char *e, const char *file)
{
	static const char cannot[] = ": cannot open shared object file";
	size_t n = strlen(file);

	return !strncmp(e, file, n) &&
	       !strncmp(e + n, cannot, sizeof(cannot) - 1);
}

int bb_lib_load(struct bb_lib *lib, void *table)
{
	const char *file = secure_getenv(lib->env);
	const char *from = "", *e;
	char via[64] = "";
	size_t i;

	if (file && *file) {
		snprintf(via, sizeof(via), " (from %s)", lib->env);
		from = via;
	} else {
		file = lib->file;
	}
	dlerror();
	lib->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		e = dlerror();
		if (!e)
			e = "unknown error";
		if (file_missing(e, file)) {
			snprintf(lib->why, sizeof(lib->why), "%s%s not "
				 "installed (apt install %s)", file, from,
				 lib->package);
			lib->err = -ENOENT;
		} else {
			snprintf(lib->why, sizeof(lib->why), "cannot load "
				 "%s%s: %s (package %s)", file, from, e,
				 lib->package);
			lib->err = -EOPNOTSUPP;
		}
		return lib->err;
	}
	for (i = 0; i < lib->nsyms; i++) {
		const struct bb_lib_sym *s = &lib->syms[i];
		void *p;

		dlerror();
		p = dlsym(lib->handle, s->name);
		if (!p) {
			snprintf(lib->why, sizeof(lib->why), "%s%s has no %s "
				 "(%s too old?)", file, from, s->name,
				 lib->package);
			/* The handle stays: nothing else in the process
			 * may know whether it holds the library open. */
			lib->err = -EOPNOTSUPP;
			return lib->err;
		}
		memcpy((char *)table + s->offset, &p, sizeof(p));
	}
	lib->err = 0;
	return 0;
}

int bb_lib_error(const struct bb_lib *lib, const char *params, char *err,
		 size_t errlen)
{
	snprintf(err, errlen, "%s: %s", params, lib->why);
	return lib->err;
}
