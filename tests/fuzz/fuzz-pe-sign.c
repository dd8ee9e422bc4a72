/*
 * pe_signature_parse() on arbitrary bytes: no crash or leak; a failure comes
 * with a message and leaves the result untouched; a success has
 * NUL-terminated names without control characters, and names only when
 * signed.  pe_signature_read_fd() on the same bytes (a memfd) agrees.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pe-sign.h"

static void
check_name(const char *s)
{
	size_t n = strnlen(s, PE_NAME_MAX);

	FUZZ_CHECK(n < PE_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static int
read_fd(const uint8_t *data, size_t size, struct pe_signature *ret, char **ret_error)
{
	int fd = memfd_create("fuzz-pe-sign", MFD_CLOEXEC), r;

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	r = pe_signature_read_fd(fd, ret, ret_error);
	close(fd);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_signature sig, sig2, untouched;
	char *error = NULL, *error2 = NULL;
	int r, r2;

	memset(&sig, 0xa5, sizeof(sig));
	memset(&sig2, 0xa5, sizeof(sig2));
	memcpy(&untouched, &sig, sizeof(sig));
	r = pe_signature_parse(data, size, &sig, &error);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOBUFS);
	if (r < 0) {
		FUZZ_CHECK(error != NULL && error[0] != '\0');
		FUZZ_CHECK(memcmp(&sig, &untouched, sizeof(sig)) == 0);
	} else {
		FUZZ_CHECK(error == NULL);
		check_name(sig.subject);
		check_name(sig.issuer);
		FUZZ_CHECK(sig.signed_ || (sig.subject[0] == '\0' && sig.issuer[0] == '\0'));
		FUZZ_CHECK(sig.is_pe || (!sig.signed_ && sig.machine == 0));
		FUZZ_CHECK(pe_machine_name(sig.machine) != NULL);
	}
	if (size <= PE_HEADERS_MAX) {
		r2 = read_fd(data, size, &sig2, &error2);
		FUZZ_CHECK(r2 == r);
		if (r == 0)
			FUZZ_CHECK(sig.is_pe == sig2.is_pe && sig.machine == sig2.machine &&
			           sig.signed_ == sig2.signed_ &&
			           strcmp(sig.subject, sig2.subject) == 0 &&
			           strcmp(sig.issuer, sig2.issuer) == 0);
		else
			FUZZ_CHECK(error2 != NULL && strcmp(error, error2) == 0);
	}
	free(error);
	free(error2);
	return 0;
}
