/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer, iproute2 style: compact by default,
 * indented with pretty. Keys are NULL inside arrays and at the top level.
 */
#ifndef SMMUCTL_JSON_H
#define SMMUCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, FILE *f, bool pretty);
/* Write s as a JSON string, quotes included. */
void jw_escape(FILE *f, const char *s);
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
/* NULL s writes null. */
void jw_str(struct jw *w, const char *key, const char *s);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, long long v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* An integer as a "0x..." string, for addresses people read as hex. */
void jw_hex(struct jw *w, const char *key, uint64_t v);
/* Ends the document with a newline. */
void jw_end(struct jw *w);

#endif /* SMMUCTL_JSON_H */
