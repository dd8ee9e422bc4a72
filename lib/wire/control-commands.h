/*
 * The control commands, one table entry each (tmux's struct cmd_entry):
 * wire name, the words netbootctl knows it by, whether it changes state or
 * streams, its argument schema, its usage line and its help.  netbootd and
 * netbootctl both read this table; a command is looked up by name and known
 * by its entry pointer.
 *
 * Adding a command to an existing family touches four files:
 *   1. lib/control-commands.c: its entry (wire name, CLI words, flags,
 *      arguments, usage, help), placed where netbootctl --help lists it;
 *   2. daemon/cmd-FAMILY.c: its handler and a line in that file's table
 *      (netbootd refuses to start while an entry has no handler);
 *   3. ctl/cmd-FAMILY.c: its argv parser and renderer and a line in that
 *      file's table;
 *   4. man/netbootctl.1.scd: its synopsis (the usage line, verbatim) and
 *      description.
 * A new family adds the two cmd-FAMILY.c files to the family lists in
 * daemon/cmd.c and ctl/ctl-commands.c and to the meson.build files.
 */
#ifndef NETBOOTD_CONTROL_COMMANDS_H
#define NETBOOTD_CONTROL_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_CMD_RW     (1u << 0) /* changes state: uid 0 or the control group only */
#define CONTROL_CMD_STREAM (1u << 1) /* sends events before (or instead of) the reply */

#define CONTROL_ARGS_MAX 10 /* keys of one command's args */

/* The value types of arguments; control_args_validate() checks them. */
enum control_arg_type {
	CONTROL_ARG_NAME,         /* image or config name */
	CONTROL_ARG_NAME_OR_NULL, /* name, or null */
	CONTROL_ARG_MAC,          /* canonical MAC */
	CONTROL_ARG_SOURCE,       /* add-image source object */
	CONTROL_ARG_CMDLINE,      /* string (bounded) or null */
	CONTROL_ARG_MODE,         /* "append" | "replace" */
	CONTROL_ARG_CONTENT,      /* cloud-config text (bounded) */
	CONTROL_ARG_BOOL,
	CONTROL_ARG_INT,    /* a group's priority */
	CONTROL_ARG_LABELS, /* {key: value} */
	CONTROL_ARG_KEYS,   /* [label key] */
	CONTROL_ARG_MATCH,  /* a group's selectors */
	CONTROL_ARG_PATH,   /* a file name, for messages */
	CONTROL_ARG_TEXT,   /* a fleet file's text */
	CONTROL_ARG_FILES,  /* {path: text}: the files a fleet file names */
	CONTROL_ARG_WORD,   /* 1-64 printable bytes without spaces: an arch, a UUID, an interface */
	CONTROL_ARG_TIME,   /* milliseconds since the epoch: an integer, 0 to 2^53 */
};

struct control_arg {
	const char *key; /* NULL ends the list */
	enum control_arg_type type;
	bool required;
};

struct control_command {
	const char *name;  /* wire name: "config-set" */
	const char *words; /* netbootctl's words: "config set" */
	unsigned flags;    /* CONTROL_CMD_RW, CONTROL_CMD_STREAM */
	struct control_arg args[CONTROL_ARGS_MAX];
	const char *usage; /* synopsis after "netbootctl ", as in the man page */
	const char *help;  /* description and options, each line ending in \n */
};

/* Every command, in the order netbootctl --help lists them. */
extern const struct control_command control_commands[];
extern const size_t control_commands_n;

/* The command with wire name 'name'; NULL for an unknown one. */
const struct control_command *control_commands_lookup(const char *name);

/*
 * How many of argv's first words spell 'words' ("config set" is argv[0]
 * "config", argv[1] "set"): their number, or 0 when they do not.
 */
int control_commands_words_match(const char *words, int argc, char *const *argv);

/* The command whose words start argv, with their number in *ret_words; NULL if none. */
const struct control_command *control_commands_by_words(
    int argc, char *const *argv, int *ret_words);

#endif
