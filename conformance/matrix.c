/* SPDX-License-Identifier: MIT */
/*
 * matrix.c - kmemu-conform --format matrix: merge result files of several
 * backends into one Markdown table (case id x backend).
 *
 * Inputs are the runner's own reports: JUnit XML (--format junit) or TAP
 * (stdout, or --format tap --out).  From JUnit, a <failure> is FAIL or XPASS
 * (its type), an <error> UNRESOLVED, a <skipped> UNSUPPORTED, a
 * <system-out> starting "XFAIL:" XFAIL, anything else PASS; the backend and
 * the environment come from the suite's <properties>.  From TAP, "ok ..."
 * is PASS unless it carries "# SKIP" or "# XFAIL", "not ok" takes its kind
 * from the "# FAIL|XPASS|UNRESOLVED: reason" line before it.
 *
 * Output: a summary table (one row per backend: counts and environment),
 * the matrix (one row per case, in the order the cases first appear; a
 * cell is PASS, FAIL, XFAIL, XPASS, SKIP, UNRESOLVED, or "-" when that
 * backend's file has no such case), then the distinct SKIP and XFAIL
 * reasons per backend.
 *
 * Divisions: reading files; JUnit; TAP; writing Markdown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "matrix.h"

enum cell {
	CELL_NONE = 0,  /* case absent from that file */
	CELL_PASS, CELL_FAIL, CELL_XFAIL, CELL_XPASS, CELL_SKIP, CELL_UNRESOLVED,
	CELL_COUNT
};

static const char *const cell_names[CELL_COUNT] = { "-", "PASS", "FAIL", "XFAIL", "XPASS", "SKIP",
						    "UNRESOLVED" };

struct result {
	char *id;       /* case id "API/name" */
	enum cell cell; /* its result */
	char *reason;   /* skip / xfail / failure reason, or NULL */
};

struct run {
	const char *path;       /* the file */
	char *backend;          /* backend name */
	char *kernel;           /* kernel release, or NULL */
	char *caps;             /* capabilities of the instance, or NULL */
	char *hugepages;        /* "nr N, free F, 2048 kB", or NULL */
	char *memlock;          /* RLIMIT_MEMLOCK, or NULL */
	char *privileges;       /* euid and capabilities, or NULL */
	char *wine;             /* Wine's version (nt backend under Wine), or NULL */
	struct result *results; /* in file order */
	size_t n, cap;
};

/* ==== reading files ========================================================= */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int run_add(struct run *r, const char *id, size_t id_len, enum cell cell, const char *reason)
{
	struct result *res;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct result *a = realloc(r->results, cap * sizeof(*a));

		if (!a)
			return -1;
		r->results = a;
		r->cap = cap;
	}
	res = &r->results[r->n];
	res->id = dup_n(id, id_len);
	res->cell = cell;
	res->reason = reason && *reason ? dup_n(reason, strlen(reason)) : NULL;
	if (!res->id)
		return -1;
	r->n++;
	return 0;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->results[i].id);
		free(r->results[i].reason);
	}
	free(r->results);
	free(r->backend);
	free(r->kernel);
	free(r->caps);
	free(r->hugepages);
	free(r->memlock);
	free(r->privileges);
	free(r->wine);
}

/* ==== JUnit ==================================================================== */

/* Undo xml_escaped() of main.c, in place. */
static void xml_unescape(char *s)
{
	static const struct {
		const char *ent;
		char ch;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		     { "&apos;", '\'' } };
	char *w = s;

	while (*s) {
		size_t i;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
			size_t n = strlen(ents[i].ent);

			if (!strncmp(s, ents[i].ent, n)) {
				*w++ = ents[i].ch;
				s += n;
				break;
			}
		}
		if (i == sizeof(ents) / sizeof(ents[0]))
			*w++ = *s++;
	}
	*w = '\0';
}

/* The value of attribute @name in the tag starting at @tag (up to its '>'),
 * unescaped, heap-allocated; NULL when absent. */
static char *xml_attr(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>'), *p = tag;
	size_t n = strlen(name);

	while (end && (p = strstr(p, name)) && p < end) {
		if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && p[n] == '=' && p[n + 1] == '"') {
			const char *v = p + n + 2, *q = strchr(v, '"');
			char *d;

			if (!q)
				return NULL;
			d = dup_n(v, (size_t)(q - v));
			if (d)
				xml_unescape(d);
			return d;
		}
		p += n;
	}
	return NULL;
}

/* One <property name=.. value=../> into the run's environment fields. */
static void junit_property(struct run *r, const char *tag)
{
	char *name = xml_attr(tag, "name"), *value = xml_attr(tag, "value");
	char **slot = NULL;

	if (name && value) {
		if (!strcmp(name, "backend"))
			slot = &r->backend;
		else if (!strcmp(name, "kernel.release"))
			slot = &r->kernel;
		else if (!strcmp(name, "capabilities"))
			slot = &r->caps;
		else if (!strcmp(name, "hugepages"))
			slot = &r->hugepages;
		else if (!strcmp(name, "RLIMIT_MEMLOCK"))
			slot = &r->memlock;
		else if (!strcmp(name, "privileges"))
			slot = &r->privileges;
		else if (!strcmp(name, "wine") && value[0] != '(')  /* "(none: Windows)" */
			slot = &r->wine;
	}
	if (slot && !*slot) {
		*slot = value;
		value = NULL;
	}
	free(name);
	free(value);
}

static int parse_junit(char *text, struct run *r)
{
	char *p = text;

	for (char *t = strstr(text, "<property "); t; t = strstr(t + 1, "<property "))
		junit_property(r, t);
	if (!r->backend) {  /* "kmemu-conform.<backend>" */
		char *suite = strstr(text, "<testsuite ");
		char *name = suite ? xml_attr(suite, "name") : NULL;
		const char *dot = name ? strrchr(name, '.') : NULL;

		r->backend = dot ? dup_n(dot + 1, strlen(dot + 1)) : NULL;
		free(name);
	}
	while ((p = strstr(p, "<testcase "))) {
		char *close = strstr(p, "</testcase>");
		char *gt = strchr(p, '>');
		char *cls = xml_attr(p, "classname"), *name = xml_attr(p, "name");
		char *body_end, *reason = NULL, *id;
		enum cell cell = CELL_PASS;
		char *f;
		int rc;

		if (!gt || !name) {
			free(cls);
			free(name);
			return -1;
		}
		/* <testcase .../> has no body */
		body_end = gt[-1] == '/' || !close ? gt : close;
		*body_end = '\0';
		if ((f = strstr(gt, "<failure"))) {
			char *type = xml_attr(f, "type");

			cell = type && !strcmp(type, "XPASS") ? CELL_XPASS : CELL_FAIL;
			free(type);
			reason = xml_attr(f, "message");
		} else if ((f = strstr(gt, "<error"))) {
			cell = CELL_UNRESOLVED;
			reason = xml_attr(f, "message");
		} else if ((f = strstr(gt, "<skipped"))) {
			cell = CELL_SKIP;
			reason = xml_attr(f, "message");
		} else if ((f = strstr(gt, "<system-out>XFAIL: "))) {
			char *nl;

			f += strlen("<system-out>XFAIL: ");
			nl = strpbrk(f, "\n<");
			cell = CELL_XFAIL;
			reason = dup_n(f, nl ? (size_t)(nl - f) : strlen(f));
			if (reason)
				xml_unescape(reason);
		}
		if (cls && strcmp(cls, "kmemu")) {
			size_t n = strlen(cls) + 1 + strlen(name) + 1;

			id = malloc(n);
			if (id)
				snprintf(id, n, "%s/%s", cls, name);
		} else {
			id = dup_n(name, strlen(name));
		}
		rc = id ? run_add(r, id, strlen(id), cell, reason) : -1;
		free(id);
		free(cls);
		free(name);
		free(reason);
		if (rc)
			return -1;
		p = body_end + 1;
	}
	return 0;
}

/* ==== TAP ====================================================================== */

static int parse_tap(char *text, struct run *r)
{
	char pending[512] = "";  /* reason of the "# KIND: reason" line before "not ok" */
	enum cell pending_cell = CELL_FAIL;
	char *line = text;

	while (line && *line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "# kmemu-conform ", 16) && !r->backend) {
			char *b = strstr(line, ": backend ");

			if (b) {
				b += strlen(": backend ");
				r->backend = dup_n(b, strcspn(b, " "));
			}
		} else if (!strncmp(line, "# capabilities: ", 16) && !r->caps) {
			r->caps = dup_n(line + 16, strlen(line + 16));
		} else if (!strncmp(line, "# FAIL: ", 8) || !strncmp(line, "# XPASS: ", 9) ||
			   !strncmp(line, "# UNRESOLVED: ", 14)) {
			pending_cell = line[2] == 'F' ? CELL_FAIL : line[2] == 'X' ? CELL_XPASS
										   : CELL_UNRESOLVED;
			snprintf(pending, sizeof(pending), "%s", strchr(line, ':') + 2);
		} else if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			int ok = line[0] == 'o';
			char *id = line + (ok ? 3 : 7), *hash, *reason = NULL;
			enum cell cell = ok ? CELL_PASS : pending_cell;
			size_t id_len;

			id += strspn(id, "0123456789");
			id += strspn(id, " ");
			hash = strstr(id, " # ");
			id_len = hash ? (size_t)(hash - id) : strlen(id);
			if (ok && hash && !strncmp(hash, " # SKIP", 7)) {
				cell = CELL_SKIP;
				reason = hash + 7 + (hash[7] == ' ');
			} else if (ok && hash && !strncmp(hash, " # XFAIL", 8)) {
				cell = CELL_XFAIL;
				reason = hash + 8 + (hash[8] == ' ');
			} else if (!ok) {
				reason = pending;
			}
			if (run_add(r, id, id_len, cell, reason))
				return -1;
			pending[0] = '\0';
			pending_cell = CELL_FAIL;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* ==== writing Markdown ========================================================= */

/* Markdown-safe text: '|' escaped, newlines as spaces. */
static void md_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static enum cell run_find(const struct run *r, const char *id, const char **reason)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->results[i].id, id)) {
			if (reason)
				*reason = r->results[i].reason;
			return r->results[i].cell;
		}
	return CELL_NONE;
}

/* Print each distinct reason of @cell in @r once, with its count. */
static void print_reasons(FILE *f, const struct run *r, enum cell cell)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct result *a = &r->results[i];
		unsigned count = 0;
		size_t j;

		if (a->cell != cell)
			continue;
		for (j = 0; j < i; j++)
			if (r->results[j].cell == cell &&
			    !strcmp(r->results[j].reason ? r->results[j].reason : "",
				    a->reason ? a->reason : ""))
				break;
		if (j < i)
			continue;  /* already printed */
		for (j = i; j < r->n; j++)
			if (r->results[j].cell == cell &&
			    !strcmp(r->results[j].reason ? r->results[j].reason : "",
				    a->reason ? a->reason : ""))
				count++;
		fprintf(f, "- %s %s ×%u: ", r->backend, cell_names[cell], count);
		md_text(f, a->reason ? a->reason : "(no reason given)");
		fputc('\n', f);
	}
}

static void write_markdown(FILE *f, struct run *runs, int n)
{
	fprintf(f, "<!-- generated by kmemu-conform --format matrix from:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %s", strrchr(runs[i].path, '/') ? strrchr(runs[i].path, '/') + 1
							    : runs[i].path);
	fprintf(f, " -->\n\n");
	fprintf(f, "| backend | PASS | FAIL | XFAIL | XPASS | SKIP | UNRESOLVED | environment |\n");
	fprintf(f, "|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < n; i++) {
		unsigned counts[CELL_COUNT] = { 0 };

		for (size_t k = 0; k < runs[i].n; k++)
			counts[runs[i].results[k].cell]++;
		fprintf(f, "| %s%s | %u | %u | %u | %u | %u | %u | ", runs[i].backend,
			runs[i].wine ? " (Wine)" : "", counts[CELL_PASS],
			counts[CELL_FAIL], counts[CELL_XFAIL], counts[CELL_XPASS], counts[CELL_SKIP],
			counts[CELL_UNRESOLVED]);
		if (runs[i].kernel) {
			fputs("kernel ", f);
			md_text(f, runs[i].kernel);
			fputs("; ", f);
		}
		if (runs[i].wine) {
			fputs("Wine ", f);
			md_text(f, runs[i].wine);
			fputs("; ", f);
		}
		if (runs[i].privileges) {
			md_text(f, runs[i].privileges);
			fputs("; ", f);
		}
		if (runs[i].hugepages) {
			fputs("hugepages ", f);
			md_text(f, runs[i].hugepages);
			fputs("; ", f);
		}
		if (runs[i].memlock) {
			fputs("RLIMIT_MEMLOCK ", f);
			md_text(f, runs[i].memlock);
			fputs("; ", f);
		}
		fputs("caps: ", f);
		md_text(f, runs[i].caps ? runs[i].caps : "?");
		fputs(" |\n", f);
	}
	fprintf(f, "\n| case |");
	for (int i = 0; i < n; i++) {
		int dup = 0;

		for (int j = 0; j < n; j++)
			dup |= j != i && !strcmp(runs[j].backend, runs[i].backend);
		fprintf(f, " %s", runs[i].backend);
		if (runs[i].wine)  /* the nt backend's kernel is Wine's, not Windows' */
			fprintf(f, " (Wine)");
		if (dup)  /* the same backend twice (two machines): name the file */
			fprintf(f, " (%s)", strrchr(runs[i].path, '/') ? strrchr(runs[i].path, '/') + 1
								       : runs[i].path);
		fputs(" |", f);
	}
	fprintf(f, "\n|---|");
	for (int i = 0; i < n; i++)
		fprintf(f, "---|");
	fputc('\n', f);
	/* rows: every case id, in the order it first appears across the files */
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < runs[i].n; k++) {
			const char *id = runs[i].results[k].id;
			int seen = 0;

			for (int j = 0; j < i && !seen; j++)
				seen = run_find(&runs[j], id, NULL) != CELL_NONE;
			for (size_t kk = 0; kk < k && !seen; kk++)
				seen = !strcmp(runs[i].results[kk].id, id);
			if (seen)
				continue;
			fputs("| `", f);
			md_text(f, id);
			fputs("` |", f);
			for (int j = 0; j < n; j++)
				fprintf(f, " %s |", cell_names[run_find(&runs[j], id, NULL)]);
			fputc('\n', f);
		}
	}
	fprintf(f, "\nReasons (SKIP = UNSUPPORTED: a capability the backend lacks here; "
		   "XFAIL: a deviation recorded in conformance/expectations/<backend>.txt):\n\n");
	for (int i = 0; i < n; i++) {
		print_reasons(f, &runs[i], CELL_SKIP);
		print_reasons(f, &runs[i], CELL_XFAIL);
		print_reasons(f, &runs[i], CELL_XPASS);
		print_reasons(f, &runs[i], CELL_FAIL);
		print_reasons(f, &runs[i], CELL_UNRESOLVED);
	}
}

/**
 * kmemu_matrix_write() - merge result files into one Markdown matrix.
 * @out:   output path, or NULL for stdout.
 * @files: JUnit XML or TAP files written by kmemu-conform, one per backend.
 * @n:     number of files (at least 1).
 * Return: 0; 2 when a file cannot be read or parsed, or @out written.
 */
int kmemu_matrix_write(const char *out, char **files, int n)
{
	struct run *runs = calloc((size_t)n, sizeof(*runs));
	int rc = 2, i;
	FILE *f = NULL;

	if (!runs)
		return 2;
	for (i = 0; i < n; i++) {
		char *text = read_all(files[i]);
		int bad;

		runs[i].path = files[i];
		if (!text)
			goto done;
		bad = strstr(text, "<testsuite") ? parse_junit(text, &runs[i])
						 : parse_tap(text, &runs[i]);
		free(text);
		if (bad || !runs[i].backend) {
			fprintf(stderr, "kmemu-conform: %s: not a kmemu-conform JUnit or TAP report\n",
				files[i]);
			goto done;
		}
	}
	f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", out, strerror(errno));
		goto done;
	}
	write_markdown(f, runs, n);
	rc = 0;
	if (out && fclose(f) != 0) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", out, strerror(errno));
		rc = 2;
	}
done:
	for (int k = 0; k < n; k++)
		run_free(&runs[k]);
	free(runs);
	return rc;
}
