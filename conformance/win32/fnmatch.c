/* SPDX-License-Identifier: MIT */
/*
 * fnmatch.c - the --filter glob of the Windows build of kmemu-conform
 * (win32/fnmatch.h): '*', '?', bracket sets ("[abc]", "[a-z]", "[!x]") and
 * backslash escapes, no flags.  Portable C: the unit tests compare it with the C
 * library's fnmatch on Linux.
 */
#include <stddef.h>
#include "fnmatch.h"

/* Match one bracket set at *@pp against @ch; advances *@pp past it.
 * Return: 1 match, 0 no match, -1 no closing ']' (then '[' is literal). */
static int bracket(const char **pp, char ch)
{
	const char *p = *pp + 1;
	int neg = 0, match = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {  /* a leading ']' is literal */
		match |= ch == ']';
		p++;
	}
	for (; *p && *p != ']'; p++) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			match |= ch >= p[0] && ch <= p[2];
			p += 2;
		} else {
			match |= ch == *p;
		}
	}
	if (!*p)
		return -1;
	*pp = p + 1;
	return match != neg;
}

int kmemu_conform_fnmatch(const char *pattern, const char *string, int flags)
{
	const char *p = pattern, *s = string, *star_p = NULL, *star_s = NULL;

	(void)flags;
	while (*s) {
		int m;

		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p;

			m = bracket(&q, *s);
			if (m >= 0) {
				if (m) {
					p = q;
					s++;
					continue;
				}
				goto backtrack;
			}
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p && *p == *s) {
			p++;
			s++;
			continue;
		}
backtrack:
		if (!star_p)
			return FNM_NOMATCH;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '*')
		p++;
	return *p ? FNM_NOMATCH : 0;
}
