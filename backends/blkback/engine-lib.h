/* SPDX-License-Identifier: MIT */
/*
 * engine-lib.h - the shared libraries of blkback's network-disk engines
 * (libnbd, librbd, librados), loaded at run time.
 *
 * Why at run time.  librbd and librados pull in libceph-common, ICU,
 * boost and more (about 70 MiB with libnbd's): linked in, every duet --
 * a guest's frontend, a driver domain's initramfs, a program linking
 * libduet -- would carry them whether it serves a network disk or not,
 * and would not start where they are not installed.  So duet and
 * libduet.so have no DT_NEEDED on them: the engine loads its library
 * when the first disk of its kind is opened (dlopen), once per process,
 * and never unloads it (no dlclose: a disk, a queue thread or a librbd
 * completion thread may be using it, and librbd's threads outlive
 * rbd_close()).  The build still needs the -dev packages: the engines
 * are compiled against the real headers, and each function pointer is
 * typed from the prototype it stands for (__typeof__(rbd_open)), so a
 * prototype cannot drift from the header.
 *
 * Where a library is missing the disk is refused with one line naming
 * the library and the Debian package that provides it, for example
 *   rbd:pool/img: librbd.so.1 not installed (apt install librbd1)
 * and open() returns -ENOENT; a library that is there but unusable (a
 * dependency missing, a function missing: too old) gives dlerror()'s
 * reason and -EOPNOTSUPP.  Other disks, and the backend daemon, go on.
 *
 * Environment (read once per process, with secure_getenv()):
 *   DUET_LIBNBD    the file to load instead of libnbd.so.0
 *   DUET_LIBRBD    the file to load instead of librbd.so.1
 *   DUET_LIBRADOS  the file to load instead of librados.so.2
 * A path, or a name the dynamic linker searches for (ld.so(8)).  For a
 * library built elsewhere, or for tests: DUET_LIBRBD=/nonexistent.so
 * is "librbd not installed".
 */
#ifndef DUET_BLKBACK_ENGINE_LIB_H
#define DUET_BLKBACK_ENGINE_LIB_H

#include <stddef.h>

/**
 * struct bb_lib_sym - one function an engine takes from its library.
 * @name:   the symbol (the default version, as the link editor picks).
 * @offset: where its pointer goes in the engine's table of functions.
 */
struct bb_lib_sym {
	const char *name;
	size_t offset;
};

/**
 * struct bb_lib - one shared library an engine loads.
 * @file:    the soname to load ("librbd.so.1").
 * @env:     the environment variable that names another file to load.
 * @package: the Debian package that installs @file ("librbd1").
 * @syms:    the functions to resolve; @nsyms of them.
 * The rest is written by bb_lib_load() only:
 * @handle:  dlopen()'s handle; never closed.
 * @err:     0, or the -errno of the failed load.
 * @why:     the failed load's reason, one line (without the disk).
 */
struct bb_lib {
	const char *file;
	const char *env;
	const char *package;
	const struct bb_lib_sym *syms;
	size_t nsyms;
	void *handle;
	int err;
	char why[320];
};

/*
 * bb_lib_load() - dlopen @lib (the file @lib->env names, else @lib->file)
 * and store each of its @syms into @table (the engine's struct of
 * function pointers, at each sym's offset).
 *
 * Context: not thread-safe on its own: call it from the engine's
 * pthread_once() routine, so that it runs once per process and every
 * thread sees its result.  Blocks for as long as the dynamic linker
 * takes.
 * Return: 0, -ENOENT (the file is not there: not installed) or
 * -EOPNOTSUPP (there but unusable); also in @lib->err, with the reason
 * in @lib->why.  On failure nothing in @table may be called.
 */
int bb_lib_load(struct bb_lib *lib, void *table);

/*
 * bb_lib_error() - the one-line reason of @lib's failed load for the
 * disk @params, into @err (@errlen bytes); returns @lib->err.
 */
int bb_lib_error(const struct bb_lib *lib, const char *params, char *err,
		 size_t errlen);

#endif /* DUET_BLKBACK_ENGINE_LIB_H */
