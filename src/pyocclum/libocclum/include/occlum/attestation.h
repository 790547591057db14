/*
 * occlum/attestation.h: remote attestation from inside a PyOcclum enclave,
 * over the pseudo-files in /dev/attestation (docs/attestation.md, "Inside
 * the enclave"). A verifier checks the quote with pyocclum.attestation.verify
 * or `occlum verify-quote`.
 *
 * The functions return -1 with errno set on failure: errno is EINVAL for
 * report data longer than 64 bytes, ERANGE for a buffer too small, ENOENT
 * when the program does not run in an enclave that can attest (no
 * /dev/attestation), or the error of the file operation that failed.
 */
#ifndef _PYOCCLUM_OCCLUM_ATTESTATION_H
#define _PYOCCLUM_OCCLUM_ATTESTATION_H

#include <stddef.h>

/* Bytes of report data a quote carries (a nonce, a hash of a public key...). */
#define OCCLUM_REPORT_DATA_SIZE 64
/* Bytes of a quote (format version 1) and of a local report. */
#define OCCLUM_QUOTE_SIZE 278
#define OCCLUM_REPORT_SIZE 180

#define OCCLUM_ATTESTATION_DIR "/dev/attestation"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes report_data (len <= 64 bytes, zero padded to 64) as this process's
 * report data, then reads a quote over it into quote (quote_size bytes of
 * room: OCCLUM_QUOTE_SIZE is enough). Returns the quote's length. The
 * report data stays the process's until it writes other data. */
int occlum_get_quote(const void *report_data, size_t len, void *quote, size_t quote_size);

/* The same for a local report (checkable on this platform only). */
int occlum_get_report(const void *report_data, size_t len, void *report, size_t report_size);

/* The attestation type ("sim") as a NUL-terminated string in buf. Returns
 * its length (without the NUL). */
int occlum_attestation_type(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
