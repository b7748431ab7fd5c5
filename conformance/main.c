/* SPDX-License-Identifier: MIT */
/*
 * main.c - kmemu-conform: run the conformance suite against one backend.
 *
 *   kmemu-conform [--backend NAME] [--filter GLOB]... [--format tap|junit]
 *                 [--out FILE] [--timeout SEC] [--expectations FILE]
 *                 [--list] [--coverage]
 *   kmemu-conform --format matrix [--out FILE] RESULT-FILE...
 *   kmemu-conform --backends
 *
 * The run: check the tables (every case names existing assertions, ids are
 * unique), look the backend up in the registry (unknown = exit 2), load the
 * backend's expectations (conformance/expectations/<backend>.txt; for the
 * nt backend nt-wine.txt under Wine, nt-windows.txt on Windows), open one
 * instance to learn what the backend can do on this machine
 * (kmemu_backend_caps: e.g. the linux backend without huge pages lacks
 * "contig"), then for each selected case either report UNSUPPORTED (a
 * missing capability) or run it in a forked child (harness.c).  Expectations turn a FAIL (or an
 * UNRESOLVED: the deviation broke a setup step) into XFAIL and a PASS into XPASS.  TAP goes to stdout always; --format junit also writes
 * JUnit XML to --out, with the environment (backend, kernel, capabilities,
 * privileges, RLIMIT_MEMLOCK, huge pages) in <properties>.  --format matrix
 * runs nothing: it merges result files into a Markdown table (matrix.c).
 * --backends lists the registered backends that open on this machine.
 * Exit status: 0 when nothing FAILed, XPASSed or was
 * UNRESOLVED; 1 otherwise; 2 for usage errors, an unknown backend, broken
 * tables or a broken expectations file.
 *
 * On Windows (kmemu-conform.exe, the nt backend) each case runs in this
 * executable spawned again with the hidden "--run-case ID" (harness.c,
 * win32.c), and the expectations directory is also looked for next to the
 * executable.
 *
 * Divisions: tables; expectations; listing and coverage; output (TAP,
 * JUnit); main.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "matrix.h"
#ifdef _WIN32
#include "win32/kmemu_conform_win32.h"
#else
#include <sys/resource.h>
#endif

#ifndef KMEMU_CONFORM_EXPECTATIONS_DIR
#define KMEMU_CONFORM_EXPECTATIONS_DIR ""
#endif
#ifndef KMEMU_CONFORM_INSTALLED_EXPECTATIONS_DIR
#define KMEMU_CONFORM_INSTALLED_EXPECTATIONS_DIR ""
#endif

#define DEFAULT_TIMEOUT 10u
#ifdef _WIN32
#define DEFAULT_BACKEND "nt"   /* the only backend of a Windows build */
#else
#define DEFAULT_BACKEND "emu"
#endif
#define MAX_FILTERS 32

/* ==== tables ================================================================= */

static const struct kmemu_case *const *const case_tables[] = {
	kmemu_cases_WDS_SharedBufferAlloc,
	kmemu_cases_WDS_SharedBufferFree,
	kmemu_cases_WDS_SharedBufferGet,
	kmemu_cases_WDS_SharedBufferGetGlobalHandle,
	kmemu_cases_ZwCreateSection,
	kmemu_cases_ZwOpenSection,
	kmemu_cases_ZwMapViewOfSection,
	kmemu_cases_ZwUnmapViewOfSection,
	kmemu_cases_ObReferenceObjectByHandle,
	kmemu_cases_MmMapViewInSystemSpace,
	kmemu_cases_NtMapViewOfSectionEx,
	kmemu_cases_NtUnmapViewOfSectionEx,
	kmemu_cases_NtAreMappedFilesTheSame,
	kmemu_cases_WdfDriverCreate,
	kmemu_cases_WdfMemoryCreate,
	kmemu_cases_WdfMemoryCreatePreallocated,
	kmemu_cases_WdfMemoryAssignBuffer,
	kmemu_cases_WdfMemoryGetBuffer,
	kmemu_cases_WdfMemoryCopyToBuffer,
	kmemu_cases_WdfObjectDelete,
	kmemu_cases_WdfRequestProbeAndLockUserBufferForWrite,
	kmemu_cases_WdfRequestProbeAndLockUserBufferForRead,
	kmemu_cases_WdfRequestRetrieveUnsafeUserInputBuffer,
	kmemu_cases_WdfRequestRetrieveUnsafeUserOutputBuffer,
	kmemu_cases_WdfRequestComplete,
	kmemu_cases_WdfRequestMarkCancelable,
	kmemu_cases_FltRegisterFilter,
	kmemu_cases_FltAllocateContext,
	kmemu_cases_FltReleaseContext,
	kmemu_cases_FltSetContext,
};

static const struct kmemu_case **all_cases;  /* every case, table order */
static size_t n_all_cases;

/* Flatten the per-API tables.  Return: 0, or -1 on allocation failure. */
static int collect_cases(void)
{
	size_t n = 0, k = 0;

	for (size_t t = 0; t < sizeof(case_tables) / sizeof(case_tables[0]); t++)
		for (size_t i = 0; case_tables[t][i]; i++)
			n++;
	all_cases = calloc(n ? n : 1, sizeof(*all_cases));
	if (!all_cases)
		return -1;
	for (size_t t = 0; t < sizeof(case_tables) / sizeof(case_tables[0]); t++)
		for (size_t i = 0; case_tables[t][i]; i++)
			all_cases[k++] = case_tables[t][i];
	n_all_cases = n;
	return 0;
}

/* Call @fn for each assertion id in @c->assertions; stops at a non-zero
 * return and passes it on. */
static int for_each_assertion_id(const struct kmemu_case *c, int (*fn)(const char *id, void *arg),
				 void *arg)
{
	const char *p = c->assertions;

	while (p && *p) {
		char id[256];
		size_t n;
		int rc;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (!n)
			break;
		if (n >= sizeof(id))
			n = sizeof(id) - 1;
		memcpy(id, p, n);
		id[n] = '\0';
		rc = fn(id, arg);
		if (rc)
			return rc;
		p += strcspn(p, " ");
	}
	return 0;
}

struct validate_ctx {
	const struct kmemu_case *c;
	int n;      /* ids seen */
	int errors;
};

static int validate_one(const char *id, void *arg)
{
	struct validate_ctx *v = arg;

	v->n++;
	if (!kmemu_assertion_find(id)) {
		fprintf(stderr, "kmemu-conform: case %s (%s:%d) names unknown assertion '%s'\n",
			v->c->id, v->c->file, v->c->line, id);
		v->errors++;
	}
	return 0;
}

/* Every case names at least one existing assertion; ids are unique.
 * Return: the number of problems (reported on stderr). */
static int validate_tables(void)
{
	int errors = 0;

	for (size_t i = 0; i < kmemu_assertion_count; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(kmemu_assertions[i].id, kmemu_assertions[j].id)) {
				fprintf(stderr, "kmemu-conform: duplicate assertion id %s\n",
					kmemu_assertions[i].id);
				errors++;
			}
	for (size_t i = 0; i < n_all_cases; i++) {
		struct validate_ctx v = { all_cases[i], 0, 0 };

		for (size_t j = 0; j < i; j++)
			if (!strcmp(all_cases[i]->id, all_cases[j]->id)) {
				fprintf(stderr, "kmemu-conform: duplicate case id %s\n", all_cases[i]->id);
				errors++;
			}
		for_each_assertion_id(all_cases[i], validate_one, &v);
		if (!v.n) {
			fprintf(stderr, "kmemu-conform: case %s names no assertion\n", all_cases[i]->id);
			errors++;
		}
		errors += v.errors;
	}
	return errors;
}

static const struct kmemu_case *case_find(const char *id)
{
	for (size_t i = 0; i < n_all_cases; i++)
		if (!strcmp(all_cases[i]->id, id))
			return all_cases[i];
	return NULL;
}

/* Capability names of @caps, space-separated, into @buf. */
static const char *caps_string(uint64_t caps, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t cap = 1ull << bit;
		const char *name;
		int n;

		if (!(caps & cap))
			continue;
		name = kmemu_cap_name(cap);
		n = name ? snprintf(buf + used, size - used, "%s%s", used ? " " : "", name)
			 : snprintf(buf + used, size - used, "%sbit%u", used ? " " : "", bit);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* ==== expectations ============================================================ */

struct expectation {
	char *case_id;   /* a case of the table */
	char *reason;    /* why the backend deviates */
};

static struct expectation *expectations;
static size_t n_expectations;
static char expectations_path[4096];  /* the file read, or "" */

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Pick the expectations file of @backend: an explicit path, else the file
 * of the run's expectations name (kmemu_conform_expectations_name(), or an
 * explicit name) in $KMEMU_CONFORM_EXPECTATIONS_DIR, the source tree, the
 * install tree, or (Windows) "expectations" beside the executable. */
static int expectations_locate(const char *backend, const char *explicit_path)
{
	const char *dirs[4] = { getenv("KMEMU_CONFORM_EXPECTATIONS_DIR"),
				KMEMU_CONFORM_EXPECTATIONS_DIR,
				KMEMU_CONFORM_INSTALLED_EXPECTATIONS_DIR, NULL };
	const char *wine = NULL;
	char name[128];
#ifdef _WIN32
	char exe_dir[1024], beside[1100];

	if (kmemu_conform_w32_exe_dir(exe_dir, sizeof(exe_dir))) {
		snprintf(beside, sizeof(beside), "%s\\expectations", exe_dir);
		dirs[3] = beside;
	}
	wine = kmemu_conform_w32_wine_version();
#endif

	if (explicit_path && kmemu_conform_expectations_is_path(explicit_path)) {
		snprintf(expectations_path, sizeof(expectations_path), "%s", explicit_path);
		return 1;
	}
	if (explicit_path)
		snprintf(name, sizeof(name), "%s", explicit_path);
	else
		kmemu_conform_expectations_name(backend, wine, name, sizeof(name));
	for (size_t i = 0; i < 4; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		snprintf(expectations_path, sizeof(expectations_path), "%s/%s.txt", dirs[i], name);
		if (access(expectations_path, R_OK) == 0)
			return 1;
	}
	expectations_path[0] = '\0';
	return 0;
}

/* Read "<case-id> <reason>" lines ('#' comments, blank lines allowed).
 * Return: 0; -1 (reported) for an unreadable file, a line without a reason
 * or an unknown case id. */
static int expectations_load(const char *backend, const char *explicit_path)
{
	char line[1024];
	unsigned lineno = 0;
	FILE *f;

	if (!expectations_locate(backend, explicit_path))
		return 0;
	f = fopen(expectations_path, "r");
	if (!f) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", expectations_path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *id, *reason, *end;
		struct expectation *grown;

		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		id = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		reason = p;
		for (end = reason + strlen(reason); end > reason && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (!*reason) {
			fprintf(stderr, "kmemu-conform: %s:%u: '%s' has no reason\n", expectations_path,
				lineno, id);
			goto fail;
		}
		if (!case_find(id)) {
			fprintf(stderr, "kmemu-conform: %s:%u: no case '%s'\n", expectations_path, lineno,
				id);
			goto fail;
		}
		grown = realloc(expectations, (n_expectations + 1) * sizeof(*expectations));
		if (!grown)
			goto fail;
		expectations = grown;
		expectations[n_expectations].case_id = xstrdup(id);
		expectations[n_expectations].reason = xstrdup(reason);
		if (!expectations[n_expectations].case_id || !expectations[n_expectations].reason) {
			free(expectations[n_expectations].case_id);
			free(expectations[n_expectations].reason);
			goto fail;
		}
		n_expectations++;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

static const struct expectation *expectation_find(const char *case_id)
{
	for (size_t i = 0; i < n_expectations; i++)
		if (!strcmp(expectations[i].case_id, case_id))
			return &expectations[i];
	return NULL;
}

static void expectations_free(void)
{
	for (size_t i = 0; i < n_expectations; i++) {
		free(expectations[i].case_id);
		free(expectations[i].reason);
	}
	free(expectations);
}

/* ==== selection, listing, coverage ============================================= */

static const char *filters[MAX_FILTERS];
static unsigned n_filters;

/* 1 when @id matches a --filter glob (or there is none). */
static int selected(const char *id)
{
	if (!n_filters)
		return 1;
	for (unsigned i = 0; i < n_filters; i++)
		if (fnmatch(filters[i], id, 0) == 0)
			return 1;
	return 0;
}

static int list_one_assertion(const char *id, void *arg)
{
	const struct kmemu_assertion *a = kmemu_assertion_find(id);

	(void)arg;
	printf("    %s [%s] %s\n", id, kmemu_level_name(a->level), a->check);
	return 0;
}

/* --list: each selected case, its needs and the checks of its assertions. */
static void print_list(void)
{
	char caps[256];

	for (size_t i = 0; i < n_all_cases; i++) {
		const struct kmemu_case *c = all_cases[i];

		if (!selected(c->id))
			continue;
		printf("%s  (needs: %s)\n", c->id, caps_string(c->caps, caps, sizeof(caps)));
		for_each_assertion_id(c, list_one_assertion, NULL);
	}
}

struct names_ctx {
	const char *want;
	int found;
};

static int names_assertion(const char *id, void *arg)
{
	struct names_ctx *n = arg;

	if (!strcmp(id, n->want)) {
		n->found = 1;
		return 1;
	}
	return 0;
}

/* Print @text after @label, continuation lines aligned under the text. */
static void print_indented(const char *label, const char *text)
{
	int width = (int)strlen(label);

	fputs(label, stdout);
	while (*text) {
		size_t n = strcspn(text, "\n");

		printf("%.*s\n", (int)n, text);
		text += n;
		if (*text && *++text)
			printf("%*s", width, "");
	}
}

/* --coverage: every selected assertion with the cases checking it, then
 * the assertions no case checks. */
static void print_coverage(void)
{
	size_t n = 0, covered = 0, by_level[3] = { 0 };

	for (size_t i = 0; i < kmemu_assertion_count; i++) {
		const struct kmemu_assertion *a = &kmemu_assertions[i];
		int first = 1;

		if (!selected(a->id))
			continue;
		n++;
		by_level[a->level]++;
		printf("%s  %s  %s\n", a->id, kmemu_level_name(a->level), a->source);
		print_indented("    sentence: ", a->sentence);
		print_indented("    check:    ", a->check);
		printf("    cases:    ");
		for (size_t k = 0; k < n_all_cases; k++) {
			struct names_ctx nc = { a->id, 0 };

			for_each_assertion_id(all_cases[k], names_assertion, &nc);
			if (nc.found) {
				printf("%s%s", first ? "" : ", ", all_cases[k]->id);
				first = 0;
			}
		}
		printf("%s\n", first ? "(none)" : "");
		if (!first)
			covered++;
	}
	printf("\n# assertions: %zu (SHALL %zu, OBSERVED %zu, DECIDED %zu); checked by a case: %zu; "
	       "without a case: %zu\n",
	       n, by_level[KMEMU_LEVEL_SHALL], by_level[KMEMU_LEVEL_OBSERVED],
	       by_level[KMEMU_LEVEL_DECIDED], covered, n - covered);
	if (n == covered)
		return;
	printf("# assertions without a case:\n");
	for (size_t i = 0; i < kmemu_assertion_count; i++) {
		const struct kmemu_assertion *a = &kmemu_assertions[i];
		int found = 0;

		if (!selected(a->id))
			continue;
		for (size_t k = 0; k < n_all_cases && !found; k++) {
			struct names_ctx nc = { a->id, 0 };

			for_each_assertion_id(all_cases[k], names_assertion, &nc);
			found = nc.found;
		}
		if (!found)
			printf("#   %s: %s\n", a->id, a->check);
	}
}

/* ==== output ==================================================================== */

/* Write @s to both streams (@b may be NULL). */
static void out2(FILE *a, FILE *b, const char *fmt, ...) KMEMU_PRINTF(3, 4);
static void out2(FILE *a, FILE *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(a, fmt, ap);
	va_end(ap);
	if (b) {
		va_start(ap, fmt);
		vfprintf(b, fmt, ap);
		va_end(ap);
	}
}

/* Each line of @text as a TAP diagnostic. */
static void tap_diag(FILE *a, FILE *b, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		if (n)
			out2(a, b, "# %.*s\n", (int)n, text);
		text += n;
		if (*text)
			text++;
	}
}

/* Print @s XML-escaped; drops control characters XML 1.0 forbids. */
static void xml_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
				fputc('?', f);
			else
				fputc(ch, f);
		}
	}
}

static void xml_property(FILE *f, const char *name, const char *value)
{
	fputs("      <property name=\"", f);
	xml_escaped(f, name);
	fputs("\" value=\"", f);
	xml_escaped(f, value);
	fputs("\"/>\n", f);
}

struct totals {
	unsigned pass, fail, xfail, xpass, skip, error;
	double seconds;
};

#ifndef _WIN32
/* The value after "@key" in the text file @path (e.g. a /proc/meminfo
 * field), leading blanks skipped, up to the end of the line; "" if absent. */
static const char *proc_field(const char *path, const char *key, char *buf, size_t size)
{
	char line[256];
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key))) {
			const char *v = line + strlen(key);

			v += strspn(v, " \t");
			snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

/* "nr_hugepages N, free F, size S": the default huge page pool. */
static const char *hugepages_string(char *buf, size_t size)
{
	char total[32], free_[32], sz[32];

	proc_field("/proc/meminfo", "HugePages_Total:", total, sizeof(total));
	proc_field("/proc/meminfo", "HugePages_Free:", free_, sizeof(free_));
	proc_field("/proc/meminfo", "Hugepagesize:", sz, sizeof(sz));
	snprintf(buf, size, "nr_hugepages %s, free %s, size %s", total[0] ? total : "?",
		 free_[0] ? free_ : "?", sz[0] ? sz : "?");
	return buf;
}
#endif

/* "euid E, CAP_SYS_ADMIN yes|no, CAP_IPC_LOCK yes|no" (what the linux
 * backend needs for PFNs and for locking beyond RLIMIT_MEMLOCK). */
static const char *privileges_string(char *buf, size_t size)
{
#ifdef _WIN32
	return kmemu_conform_w32_privileges(buf, size);
#else
	char eff[32];
	unsigned long long caps = 0;

	proc_field("/proc/self/status", "CapEff:", eff, sizeof(eff));
	caps = strtoull(eff, NULL, 16);
	snprintf(buf, size, "euid %u, CAP_SYS_ADMIN %s, CAP_IPC_LOCK %s", (unsigned)geteuid(),
		 caps & (1ull << 21) ? "yes" : "no", caps & (1ull << 14) ? "yes" : "no");
	return buf;
#endif
}

/* Write the JUnit XML report.  Return: 0, or -1 (reported) when @path
 * cannot be written. */
static int write_junit(const char *path, const char *backend, const struct kmemu_backend_ops *ops,
		       uint64_t inst_caps, const struct kmemu_case *const *run,
		       const struct kmemu_case_outcome *outs, size_t n, const struct totals *t)
{
	char caps[512], buf[512], host[256] = "";
	struct utsname u;
#ifndef _WIN32
	struct rlimit rl;
#endif
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", path, strerror(errno));
		return -1;
	}
#ifdef _WIN32
	kmemu_conform_w32_hostname(host, sizeof(host));
	gmtime_s(&tm, &now);
#else
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
#endif
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"kmemu-conform\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" "
		   "skipped=\"%u\" time=\"%.3f\">\n",
		n, t->fail + t->xpass, t->error, t->skip, t->seconds);
	fprintf(f, "  <testsuite name=\"kmemu-conform.");
	xml_escaped(f, backend);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\" "
		   "timestamp=\"%s\" hostname=\"",
		n, t->fail + t->xpass, t->error, t->skip, t->seconds, buf);
	xml_escaped(f, host);
	fprintf(f, "\">\n    <properties>\n");
	xml_property(f, "backend", backend);
	xml_property(f, "backend.description", ops->description ? ops->description : "");
	xml_property(f, "kmemu.version", KMEMU_VERSION_STRING);
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
		xml_property(f, "kernel", buf);
		xml_property(f, "kernel.release", u.release);
	}
	xml_property(f, "capabilities", caps_string(inst_caps, caps, sizeof(caps)));
	xml_property(f, "capabilities.declared", caps_string(ops->caps, caps, sizeof(caps)));
	xml_property(f, "privileges", privileges_string(buf, sizeof(buf)));
#ifdef _WIN32
	xml_property(f, "wine", kmemu_conform_w32_wine_version() ? kmemu_conform_w32_wine_version()
								  : "(none: Windows)");
#else
	xml_property(f, "hugepages", hugepages_string(buf, sizeof(buf)));
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		char soft[32], hard[32];

		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(soft, sizeof(soft), "unlimited");
		else
			snprintf(soft, sizeof(soft), "%llu", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			snprintf(hard, sizeof(hard), "unlimited");
		else
			snprintf(hard, sizeof(hard), "%llu", (unsigned long long)rl.rlim_max);
		snprintf(buf, sizeof(buf), "soft %s, hard %s", soft, hard);
		xml_property(f, "RLIMIT_MEMLOCK", buf);
	}
#endif
	xml_property(f, "expectations", expectations_path[0] ? expectations_path : "(none)");
	for (unsigned i = 0; i < n_filters; i++)
		xml_property(f, "filter", filters[i]);
	fprintf(f, "    </properties>\n");

	for (size_t i = 0; i < n; i++) {
		const struct kmemu_case_outcome *o = &outs[i];
		const char *slash = strchr(run[i]->id, '/');
		const char *elem = NULL;

		fputs("    <testcase classname=\"", f);
		if (slash)
			fprintf(f, "%.*s", (int)(slash - run[i]->id), run[i]->id);
		else
			fputs("kmemu", f);
		fputs("\" name=\"", f);
		xml_escaped(f, slash ? slash + 1 : run[i]->id);
		fprintf(f, "\" time=\"%.3f\">\n", o->seconds);
		switch (o->result) {
		case KMEMU_FAIL: elem = "failure"; break;
		case KMEMU_XPASS: elem = "failure"; break;
		case KMEMU_UNRESOLVED: elem = "error"; break;
		default: break;
		}
		if (elem) {
			fprintf(f, "      <%s type=\"%s\" message=\"", elem, kmemu_result_name(o->result));
			xml_escaped(f, o->reason);
			fputs("\">", f);
			xml_escaped(f, o->diag ? o->diag : "");
			fprintf(f, "</%s>\n", elem);
		} else if (o->result == KMEMU_UNSUPPORTED) {
			fputs("      <skipped message=\"", f);
			xml_escaped(f, o->reason);
			fputs("\"/>\n", f);
		}
		if (o->result == KMEMU_XFAIL || (!elem && o->diag && *o->diag)) {
			fputs("      <system-out>", f);
			if (o->result == KMEMU_XFAIL) {
				fputs("XFAIL: ", f);
				xml_escaped(f, o->reason);
				fputs("\n", f);
			}
			xml_escaped(f, o->diag ? o->diag : "");
			fputs("</system-out>\n", f);
		}
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ==== main ========================================================================= */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kmemu-conform [--backend NAME] [--filter GLOB]... [--format tap|junit]\n"
		"                     [--out FILE] [--timeout SEC] [--expectations FILE]\n"
		"                     [--list] [--coverage]\n"
		"       kmemu-conform --format matrix [--out FILE] RESULT-FILE...\n"
		"       kmemu-conform --backends\n"
		"  --backend NAME      backend to certify (default: $KMEMU_BACKEND or %s)\n"
		"  --filter GLOB       run only cases whose id matches (fnmatch; repeatable);\n"
		"                      with --coverage, selects assertions\n"
		"  --format tap|junit  junit: also write JUnit XML to --out (TAP stays on stdout)\n"
		"  --format matrix     run nothing: merge the JUnit or TAP RESULT-FILEs of several\n"
		"                      backends into one Markdown table (case x backend) on --out\n"
		"  --out FILE          where the report of --format goes (tap: a copy of stdout)\n"
		"  --backends          list the registered backends that open on this machine\n"
		"  --timeout SEC       per-case time limit (default %u, 0 = none)\n"
		"  --expectations FILE|NAME  expected deviations: a file, or a name looked up as\n"
		"                      the default (expectations/<backend>.txt; for nt:\n"
		"                      nt-wine.txt under Wine, nt-windows.txt on Windows)\n"
		"  --list              print the cases and what they check, run nothing\n"
		"  --coverage          print every assertion and the cases checking it\n"
		"exit status: 0 all passed, 1 a FAIL/XPASS/UNRESOLVED, 2 usage or setup error\n",
		DEFAULT_BACKEND, DEFAULT_TIMEOUT);
}

/* The value of option @argv[*i] (advances *i), or NULL after reporting. */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "kmemu-conform: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static void list_backends(FILE *f)
{
	const struct kmemu_backend_ops *o;

	fprintf(f, "registered backends:");
	for (unsigned i = 0; (o = kmemu_backend_list(i)); i++)
		fprintf(f, " %s", o->name);
	fprintf(f, "\n");
}

/* main() - parse options, check the tables, then list, cover or run. */
int main(int argc, char **argv)
{
	const char *backend = NULL, *format = "tap", *out_path = NULL, *exp_path = NULL;
	const char *run_case = NULL;  /* hidden: run one case here (a Windows child) */
	unsigned timeout = DEFAULT_TIMEOUT;
	int do_list = 0, do_coverage = 0, do_backends = 0, rc = 2, n_inputs = 0;
	char **inputs = NULL;
	struct kmemu_backend *inst = NULL;
	uint64_t caps_here;
	const struct kmemu_backend_ops *ops;
	const struct kmemu_case **run = NULL;
	struct kmemu_case_outcome *outs = NULL;
	struct totals t = { 0 };
	FILE *copy = NULL;
	char caps[512];
	size_t n = 0;

#ifdef _WIN32
	kmemu_conform_w32_binary_stdio();
#endif
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--backend")) {
			if (!(backend = opt_value(argc, argv, &i)))
				return 2;
		} else if (!strcmp(a, "--filter")) {
			const char *g = opt_value(argc, argv, &i);

			if (!g)
				return 2;
			if (n_filters == MAX_FILTERS) {
				fprintf(stderr, "kmemu-conform: at most %d --filter\n", MAX_FILTERS);
				return 2;
			}
			filters[n_filters++] = g;
		} else if (!strcmp(a, "--format")) {
			if (!(format = opt_value(argc, argv, &i)))
				return 2;
			if (strcmp(format, "tap") && strcmp(format, "junit") && strcmp(format, "matrix")) {
				fprintf(stderr, "kmemu-conform: unknown format '%s'\n", format);
				return 2;
			}
		} else if (!strcmp(a, "--out")) {
			if (!(out_path = opt_value(argc, argv, &i)))
				return 2;
		} else if (!strcmp(a, "--timeout")) {
			const char *v = opt_value(argc, argv, &i);
			char *end;
			unsigned long s;

			if (!v)
				return 2;
			errno = 0;
			s = strtoul(v, &end, 10);
			if (errno || *end || end == v || s > 86400) {
				fprintf(stderr, "kmemu-conform: bad --timeout '%s'\n", v);
				return 2;
			}
			timeout = (unsigned)s;
		} else if (!strcmp(a, "--expectations")) {
			if (!(exp_path = opt_value(argc, argv, &i)))
				return 2;
		} else if (!strcmp(a, "--run-case")) {
			if (!(run_case = opt_value(argc, argv, &i)))
				return 2;
		} else if (!strcmp(a, "--list")) {
			do_list = 1;
		} else if (!strcmp(a, "--coverage")) {
			do_coverage = 1;
		} else if (!strcmp(a, "--backends")) {
			do_backends = 1;
		} else if (a[0] != '-') {
			if (!inputs)
				inputs = &argv[i];  /* result files: contiguous, for --format matrix */
			if (inputs + n_inputs != &argv[i]) {
				fprintf(stderr, "kmemu-conform: result files must come last\n");
				return 2;
			}
			n_inputs++;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "kmemu-conform: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!strcmp(format, "junit") && !out_path) {
		fprintf(stderr, "kmemu-conform: --format junit needs --out FILE\n");
		return 2;
	}
	if ((strcmp(format, "matrix") == 0) != (n_inputs > 0)) {
		fprintf(stderr, "kmemu-conform: result files go with --format matrix, and only there\n");
		return 2;
	}
	if (n_inputs)
		return kmemu_matrix_write(out_path, inputs, n_inputs);
	if (do_backends) {
		const struct kmemu_backend_ops *o;

		for (unsigned i = 0; (o = kmemu_backend_list(i)); i++) {
			if (kmemu_backend_open(o->name, NULL, &inst) == STATUS_SUCCESS) {
				kmemu_backend_close(inst);
				printf("%s\n", o->name);
			}
		}
		return 0;
	}
	if (!backend)
		backend = getenv("KMEMU_BACKEND") && *getenv("KMEMU_BACKEND") ? getenv("KMEMU_BACKEND")
									       : DEFAULT_BACKEND;

	if (collect_cases()) {
		fprintf(stderr, "kmemu-conform: out of memory\n");
		return 2;
	}
	if (validate_tables()) {
		fprintf(stderr, "kmemu-conform: the case or assertion tables are inconsistent\n");
		goto done;
	}
	ops = kmemu_backend_find(backend);
	if (!ops) {
		fprintf(stderr, "kmemu-conform: unknown backend '%s'; ", backend);
		list_backends(stderr);
		goto done;
	}
	if (run_case) {
		const struct kmemu_case *c = case_find(run_case);

		if (!c) {
			fprintf(stderr, "kmemu-conform: no case '%s'\n", run_case);
			goto done;
		}
		kmemu_run_case_here(c, backend, timeout);
	}
	if (do_list || do_coverage) {
		if (do_list)
			print_list();
		if (do_coverage) {
			if (do_list)
				printf("\n");
			print_coverage();
		}
		rc = 0;
		goto done;
	}
	if (expectations_load(backend, exp_path))
		goto done;
	/* What the backend can do here: the children open it again per case and
	 * re-check, but the plan and the reports state it once. */
	caps_here = ops->caps;
	if (kmemu_backend_open(backend, NULL, &inst) == STATUS_SUCCESS) {
		caps_here = kmemu_backend_caps(inst);
		kmemu_backend_close(inst);
	}

	run = calloc(n_all_cases ? n_all_cases : 1, sizeof(*run));
	outs = calloc(n_all_cases ? n_all_cases : 1, sizeof(*outs));
	if (!run || !outs) {
		fprintf(stderr, "kmemu-conform: out of memory\n");
		goto done;
	}
	for (size_t i = 0; i < n_all_cases; i++)
		if (selected(all_cases[i]->id))
			run[n++] = all_cases[i];
	if (!strcmp(format, "tap") && out_path) {
		copy = fopen(out_path, "w");
		if (!copy) {
			fprintf(stderr, "kmemu-conform: %s: %s\n", out_path, strerror(errno));
			goto done;
		}
	}

	out2(stdout, copy, "TAP version 13\n1..%zu\n", n);
	out2(stdout, copy, "# kmemu-conform %s: backend %s (%s)\n", KMEMU_VERSION_STRING, backend,
	     ops->description ? ops->description : "");
	out2(stdout, copy, "# capabilities: %s\n", caps_string(caps_here, caps, sizeof(caps)));
	if (caps_here != ops->caps)
		out2(stdout, copy, "# not on this machine: %s\n",
		     caps_string(ops->caps & ~caps_here, caps, sizeof(caps)));
	out2(stdout, copy, "# expectations: %s\n",
	     expectations_path[0] ? expectations_path : "(none)");
#ifdef _WIN32
	out2(stdout, copy, "# host: %s%s\n", kmemu_conform_w32_wine_version() ? "Wine " : "Windows",
	     kmemu_conform_w32_wine_version() ? kmemu_conform_w32_wine_version() : "");
#endif
	for (size_t i = 0; i < n; i++) {
		const struct kmemu_case *c = run[i];
		struct kmemu_case_outcome *o = &outs[i];
		uint64_t missing = c->caps & ~caps_here;
		const struct expectation *e;

		if (missing) {
			char m[256];

			memset(o, 0, sizeof(*o));
			o->result = KMEMU_UNSUPPORTED;
			char h[256];
			uint64_t never = missing & ~ops->caps, here = missing & ops->caps;

			/* a capability the backend never has, or one this machine does
			 * not give it (huge pages, privileges) */
			snprintf(o->reason, sizeof(o->reason), "backend %s %s%s%s%s%s", backend,
				 never ? "lacks capability: " : "",
				 never ? caps_string(never, m, sizeof(m)) : "",
				 never && here ? "; " : "", here ? "not on this machine: " : "",
				 here ? caps_string(here, h, sizeof(h)) : "");
		} else {
			kmemu_run_case(c, backend, timeout, o);
		}
		e = expectation_find(c->id);
		/* a listed deviation may break a setup step too (UNRESOLVED) */
		if (e && (o->result == KMEMU_FAIL || o->result == KMEMU_UNRESOLVED)) {
			o->result = KMEMU_XFAIL;
			snprintf(o->reason, sizeof(o->reason), "%s", e->reason);
		} else if (e && o->result == KMEMU_PASS) {
			o->result = KMEMU_XPASS;
			snprintf(o->reason, sizeof(o->reason), "expected to fail (%.200s) but passed",
				 e->reason);
		}
		t.seconds += o->seconds;
		tap_diag(stdout, copy, o->diag);
		switch (o->result) {
		case KMEMU_PASS:
			t.pass++;
			out2(stdout, copy, "ok %zu %s\n", i + 1, c->id);
			break;
		case KMEMU_UNSUPPORTED:
			t.skip++;
			out2(stdout, copy, "ok %zu %s # SKIP %s\n", i + 1, c->id, o->reason);
			break;
		case KMEMU_XFAIL:
			t.xfail++;
			out2(stdout, copy, "ok %zu %s # XFAIL %s\n", i + 1, c->id, o->reason);
			break;
		case KMEMU_FAIL:
		case KMEMU_XPASS:
		case KMEMU_UNRESOLVED:
			if (o->result == KMEMU_FAIL)
				t.fail++;
			else if (o->result == KMEMU_XPASS)
				t.xpass++;
			else
				t.error++;
			out2(stdout, copy, "# %s: %s\n", kmemu_result_name(o->result), o->reason);
			out2(stdout, copy, "not ok %zu %s\n", i + 1, c->id);
			break;
		}
		fflush(stdout);
	}
	out2(stdout, copy, "# Totals: pass:%u fail:%u xfail:%u xpass:%u skip:%u error:%u\n", t.pass,
	     t.fail, t.xfail, t.xpass, t.skip, t.error);
	out2(stdout, copy, "%u passed, %u failed, %u skipped\n", t.pass + t.xfail,
	     t.fail + t.xpass + t.error, t.skip);
	rc = t.fail + t.xpass + t.error ? 1 : 0;
	if (!strcmp(format, "junit") && write_junit(out_path, backend, ops, caps_here, run, outs, n, &t))
		rc = 2;
done:
	if (copy && fclose(copy) != 0) {
		fprintf(stderr, "kmemu-conform: %s: %s\n", out_path, strerror(errno));
		rc = 2;
	}
	for (size_t i = 0; outs && i < n; i++)
		free(outs[i].diag);
	free(outs);
	free(run);
	free(all_cases);
	expectations_free();
	return rc;
}
