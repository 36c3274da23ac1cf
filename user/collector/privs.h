/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What mailbpf needs to load probes, and giving the rest up once attached. */
#ifndef MAILBPF_PRIVS_H
#define MAILBPF_PRIVS_H

/* 0 when the process may load and attach BPF; else -EPERM, saying what is missing. */
int mb_privs_check(void);

/*
 * After attaching: no_new_privs, empty bounding set, optionally switch to
 * user (NULL: stay), and keep only CAP_BPF, which reading the kernel's
 * count maps still needs. Negative errno on failure.
 */
int mb_privs_drop(const char *user);

#endif
