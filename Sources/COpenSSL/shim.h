#ifndef MEDEXPRESS_COPENSSL_SHIM_H
#define MEDEXPRESS_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/hmac.h>

/* Function-like macros Swift cannot import. */
static inline long medexpress_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int medexpress_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_min_proto_version(ctx, version); }
static inline long medexpress_SSL_CTX_set_options(SSL_CTX *ctx, long options) { return (long)SSL_CTX_set_options(ctx, (uint64_t)options); }
static inline int medexpress_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
static inline long medexpress_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline STACK_OF(GENERAL_NAME) *medexpress_X509_get_subject_alt_names(X509 *cert) {
    return (STACK_OF(GENERAL_NAME) *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
static inline int medexpress_sk_GENERAL_NAME_num(STACK_OF(GENERAL_NAME) *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *medexpress_sk_GENERAL_NAME_value(STACK_OF(GENERAL_NAME) *names, int i) { return sk_GENERAL_NAME_value(names, i); }
static inline void medexpress_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *names) { GENERAL_NAMES_free(names); }
static inline int medexpress_BIO_get_mem_data(BIO *bio, char **data) { return (int)BIO_get_mem_data(bio, data); }
/* Added for RPCCore/TLS: more function-like macros, and constants built from SSL_OP_BIT(). */
static inline int medexpress_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_max_proto_version(ctx, version); }
static inline uint64_t medexpress_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t medexpress_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t medexpress_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t medexpress_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
/* RFC 2253 distinguished names, but with UTF-8 kept as UTF-8 rather than escaped as \XX. */
static inline unsigned long medexpress_XN_FLAG_RFC2253_UTF8(void) { return XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB; }
static inline EVP_PKEY *medexpress_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
static inline int medexpress_sk_GENERAL_NAME_push(STACK_OF(GENERAL_NAME) *names, GENERAL_NAME *name) { return sk_GENERAL_NAME_push(names, name); }
static inline void medexpress_OPENSSL_free(void *pointer) { OPENSSL_free(pointer); }
/* Pushes an SSL-library error with explanatory text, e.g. from a handshake callback. */
static inline void medexpress_ERR_raise_ssl(int reason, const char *text) { ERR_raise_data(ERR_LIB_SSL, reason, "%s", text); }
#endif
