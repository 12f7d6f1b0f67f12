import Glibc

/// `medexpress`: the MedExpress RPC command-line tool.
@main
struct MedExpressCommand {
    static let usage = """
    usage: medexpress <command> [options]

    commands:
      serve            run the MedExpress RPC server (TLS on; a development CA is made on first start)
      interop-server   serve grpc.testing.TestService for gRPC interop tests and benchmarks
      interop-client   run one gRPC interop test case with ClientKit against any server
      audit verify     walk the audit log's hash chain and name the first broken entry (exit 1)
      keys rotate      make a new data key active and re-seal every encrypted column under it
      staff add        add a member of staff (--role ADMIN|PRESCRIBER|PHARMACIST --username U --given-name G
                       --family-name F --email E [--registering-body GMC|GPHC --registration-number N
                       --profession P --address "LINE; LINE" --town T --postcode P]; password from
                       MEDEXPRESS_STAFF_PASSWORD or standard input); writes
                       their client certificate and key to DIR/staff/ and prints their TOTP provisioning URI
      certs issue      a new client certificate for a member of staff (--username U), into DIR/staff/
      service-account add   add an integration (--name N --role PHARMACY_SYSTEM|COURIER); writes its client
                       certificate and key to DIR/service-accounts/: the certificate is its credential
      discount-codes add   offer a discount code (--code CODE, --percent-off P or --fixed-off-pence N,
                       [--valid-from YYYY-MM-DD] [--valid-until YYYY-MM-DD] [--max-redemptions N] [--first-order-only])
      bench-client     load a TestService server with ClientKit (--target HOST:PORT [--ca FILE --server-name NAME] [--connections N] [--concurrency C] [--duration-seconds S] [--warmup-seconds W] [--payload-bytes B]); one JSON line
      bench-journey    whole order journeys against a running serve --demo (\(BenchJourneyCommand.usage))
      ctl              the staff command line: orders, review, dispense, reports, export (medexpress ctl help)
      demo             walk the user journeys, as a client, against a running serve --demo
                       (\(DemoCommand.usage))

    serve and the administration commands' options:
    \(DataStore.usage)

    serve options:
      --listen HOST:PORT           address to listen on (default 127.0.0.1:50051)
      --plaintext                  serve h2c without TLS (loopback addresses only)
      --demo                       offer LATESTBF26, stock every product and, on a database without staff,
                                   add demo staff and service accounts, printing how to sign in as each
                                   (also kept in DIR/DEMO.txt, mode 0600). A laptop only.
      --tls-cert FILE --tls-key FILE   production certificate chain and key (default DIR/tls/server.*)
      --client-ca FILE             CA bundle for client certificates (default DIR/tls/ca.pem)
      --client-cert-mode MODE      none, optional or required (default optional)
      --staff-ca-cert FILE --staff-ca-key FILE   the CA CreateStaff signs staff certificates with
                                   (default: the development CA in DIR/tls when this server made it)
      --payments local|stripe      the payment gateway (default local: Stripe's test cards, in memory, for
                                   a laptop); stripe reads its secret key from MEDEXPRESS_STRIPE_SECRET_KEY
      --stripe-base-url URL        Stripe's API (default https://api.stripe.com)
      --stripe-ca FILE             CA bundle to verify Stripe's certificate with (default: system roots)
      --courier local|royal-mail   the courier (default local: valid Royal Mail tracking numbers, for a
                                   laptop); royal-mail reads its API key from MEDEXPRESS_ROYAL_MAIL_API_KEY
      --royal-mail-base-url URL    Click & Drop's API (default https://api.parcel.royalmail.com/api/v1)
      --royal-mail-ca FILE         CA bundle to verify Click & Drop's certificate with (default: system roots)
      --mail files|smtp            customer emails (default files: .eml under DIR/outbox-mail, for a laptop)
      --smtp-host H --smtp-port P --smtp-security starttls|tls|none (none: loopback only)
      --smtp-username U            with the password in MEDEXPRESS_SMTP_PASSWORD (sent only over TLS)
      --smtp-ca FILE               CA bundle to verify the SMTP server with (default: system roots)
      --mail-from ADDRESS --mail-domain DOMAIN --gp-letters-to ADDRESS   sender, Message-ID domain, GP letters

    interop-server options:
      --port N                     port on 127.0.0.1 (0 picks a free one)
      --host HOST                  address to bind (default 127.0.0.1)
      --use_tls --cert FILE --key FILE   serve TLS with this certificate

    transport options (both):
    \(ServerOptions.usage)
    """

    /// Synchronous on purpose: the signal mask is set before any thread exists, so every thread
    /// the process starts inherits it and SIGTERM/SIGINT reach only the waiting thread.
    static func main() {
        Signals.blockTerminationSignals()
        // A peer closing its socket must cost an EPIPE, not the process (OpenSSL writes with write(2)).
        signal(SIGPIPE, SIG_IGN)
        // Detached: a plain Task would inherit the main actor, whose thread sleeps below.
        Task.detached {
            exit(await run(CommandLine.arguments))
        }
        while true { pause() }
    }

    static func run(_ arguments: [String]) async -> Int32 {
        guard arguments.count >= 2 else {
            printError(usage)
            return 2
        }
        do {
            switch arguments[1] {
            case "serve":
                try await ServeCommand(arguments.dropFirst(2)).run()
            case "interop-server":
                try await InteropServerCommand(arguments.dropFirst(2)).run()
            case "interop-client": try await InteropClientCommand(arguments.dropFirst(2)).run()
            case "audit" where arguments.count >= 3 && arguments[2] == "verify":
                return try await AuditVerifyCommand(arguments.dropFirst(3)).run()
            case "keys" where arguments.count >= 3 && arguments[2] == "rotate":
                try await KeysRotateCommand(arguments.dropFirst(3)).run()
            case "staff" where arguments.count >= 3 && arguments[2] == "add":
                try await StaffAddCommand(arguments.dropFirst(3)).run()
            case "certs" where arguments.count >= 3 && arguments[2] == "issue":
                try await CertsIssueCommand(arguments.dropFirst(3)).run()
            case "service-account" where arguments.count >= 3 && arguments[2] == "add":
                try await ServiceAccountAddCommand(arguments.dropFirst(3)).run()
            case "discount-codes" where arguments.count >= 3 && arguments[2] == "add":
                try await DiscountCodeAddCommand(arguments.dropFirst(3)).run()
            case "bench-client": try await BenchClientCommand(arguments.dropFirst(2)).run()
            case "bench-journey": try await BenchJourneyCommand(arguments.dropFirst(2)).run()
            case "demo": try await DemoCommand(arguments.dropFirst(2)).run()
            case "ctl": try await CtlCommand(arguments.dropFirst(2)).run()
            case "help", "--help", "-h":
                printLine(usage)
            default:
                throw UsageError("unknown command \(arguments[1])")
            }
            return 0
        } catch let error as UsageError {
            printError("medexpress: \(error)\n\n\(usage)")
            return 2
        } catch {
            printError("medexpress: \(error)")
            return 1
        }
    }
}
