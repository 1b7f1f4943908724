/*
 * users.c: `-u USER[:GROUP]`, each a name or a number, as Docker takes it.
 * Numbers are used as they are; names are looked up in the container's
 * own /etc/passwd and /etc/group (passwd(5), group(5)), by the child once
 * it stands in the container's root - never with getpwnam(3), which would
 * load NSS modules from the container's files into a process that still
 * holds the runtime's privileges. A named user also gets the groups that
 * list it as a member, as Docker gives them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minidock.h"

/* A name as useradd(8) allows one: a letter or _, then letters, digits, _ . - */
static int is_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("_.-", *s)))
			return 0;
	return 1;
}

static int parse_id(const char *s, unsigned int *id)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 0x7fffffff)
		return -1;
	*id = (unsigned int)v;
	return 0;
}

/* One part: a number into ID, or a name into NAME (looked up later). */
static int parse_part(const char *s, unsigned int *id, char *name, size_t len)
{
	if (parse_id(s, id) == 0)
		return 0;
	if (!is_name(s) || strlen(s) >= len)
		return -1;
	snprintf(name, len, "%s", s);
	return 0;
}

/* USER[:GROUP]; a numeric USER without GROUP gets the same number as group. NULL: no change. */
int parse_user_spec(const char *spec, struct process *p)
{
	char user[2 * sizeof(p->user_name)], *group;
	unsigned int uid = 0, gid = 0;

	if (!spec)
		return 0;
	p->user_name[0] = p->group_name[0] = 0;
	snprintf(user, sizeof(user), "%s", spec);
	group = strchr(user, ':');
	if (group)
		*group++ = 0;
	if (strlen(spec) >= sizeof(user) ||
	    parse_part(user, &uid, p->user_name, sizeof(p->user_name)) < 0 ||
	    (group && parse_part(group, &gid, p->group_name, sizeof(p->group_name)) < 0)) {
		fprintf(stderr, "%s: bad user '%s': use USER[:GROUP], each a name or a number\n",
			PROG, spec);
		return -1;
	}
	p->uid = uid;
	p->gid = group ? gid : uid;
	return 0;
}

/* The spec again, for the state file: names stay names, to be looked up inside. */
void user_spec_of(const struct process *p, char *out, size_t len)
{
	char user[32], group[32];

	snprintf(user, sizeof(user), "%u", p->uid);
	snprintf(group, sizeof(group), "%u", p->gid);
	if (p->user_name[0] && !p->group_name[0])
		snprintf(out, len, "%s", p->user_name);
	else
		snprintf(out, len, "%s:%s", p->user_name[0] ? p->user_name : user,
			 p->group_name[0] ? p->group_name : group);
}

/* A line of passwd(5) or group(5) split at ':' into its first N fields, in place. */
static int split_line(char *s, char *fields[], int n)
{
	s[strcspn(s, "\n")] = 0;
	for (int i = 0; i < n; i++) {
		fields[i] = s;
		s = strchr(s, ':');
		if (s)
			*s++ = 0;
		else if (i < n - 1)
			return 0;
		else
			break;
	}
	return 1;
}

/* The entry of F whose first field is NAME: 1 found (its fields in LINE), 0 not. */
static int find_entry(FILE *f, const char *name, char **line, size_t *cap, char *fields[4])
{
	while (getline(line, cap, f) > 0)
		if (split_line(*line, fields, 4) && !strcmp(fields[0], name))
			return 1;
	return 0;
}

/* NAME's id in FILE (passwd: uid and gid; group: gid). */
static int lookup(const char *file, const char *name, unsigned int *id, unsigned int *gid)
{
	FILE *f = fopen(file, "re");
	char *line = NULL, *fields[4];
	size_t cap = 0;
	int found;

	if (!f) {
		fprintf(stderr, "%s: %s in the container: %m\n", PROG, file);
		return -1;
	}
	found = find_entry(f, name, &line, &cap, fields);
	if (found && (parse_id(fields[2], id) < 0 || (gid && parse_id(fields[3], gid) < 0)))
		found = 0;
	free(line);
	fclose(f);
	if (!found)
		fprintf(stderr, "%s: no %s '%s' in the container's %s\n", PROG,
			gid ? "user" : "group", name, file);
	return found ? 0 : -1;
}

/* Appended to GROUPS: those whose member list (group(5)'s fourth field) names USER. */
static void member_groups(const char *user, gid_t *groups, size_t *n)
{
	FILE *f = fopen("/etc/group", "re");
	char *line = NULL, *fields[4], *member, *save;
	size_t cap = 0;
	unsigned int gid;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0 && *n < MAX_GROUPS) {
		if (!split_line(line, fields, 4) || parse_id(fields[2], &gid) < 0)
			continue;
		for (member = strtok_r(fields[3], ",", &save); member && *n < MAX_GROUPS;
		     member = strtok_r(NULL, ",", &save))
			if (!strcmp(member, user))
				groups[(*n)++] = gid;
	}
	free(line);
	fclose(f);
}

/* In the child, in the container's root: the names of -u made numbers, and the groups. */
int resolve_user(const struct process *p, uid_t *uid, gid_t *gid, gid_t *groups, size_t *n)
{
	unsigned int u = p->uid, g = p->gid;

	*n = p->n_groups;
	memcpy(groups, p->groups, p->n_groups * sizeof(gid_t));
	if (p->user_name[0]) {
		if (lookup("/etc/passwd", p->user_name, &u, &g) < 0)
			return -1;
		member_groups(p->user_name, groups, n);
	}
	if (p->group_name[0] && lookup("/etc/group", p->group_name, &g, NULL) < 0)
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}
