/*
 * netbootctl: the control client of netbootd.  The control socket and its
 * commands arrive with the next piece of work; until then this prints its
 * usage and says so.
 */
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: netbootctl [-h] [-V] COMMAND ...\n"
    "\n"
    "netbootd's control socket is not implemented yet: this version of\n"
    "netbootctl has no commands.\n";

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		puts("netbootctl " NETBOOTD_VERSION);
		return 0;
	}
	fputs(usage_text, stderr);
	return 2;
}
