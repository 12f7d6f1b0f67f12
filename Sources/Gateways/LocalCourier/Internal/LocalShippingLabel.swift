import Domain

/// A one-page PDF (ISO 32000-1) label, 4 × 6 inches: the tracking number, the service, the
/// recipient's name and address, and a warning that it is not postage. Nothing else: no sender,
/// no contents (API.md, Delivery).
struct LocalShippingLabel {
    /// 4 × 6 inches in PDF points (1/72 inch).
    static let pageWidthPoints = 288
    static let pageHeightPoints = 432

    let trackingNumber: String
    let request: ShipmentRequest

    var pdf: [UInt8] {
        let recipient = request.recipient
        var lines: [(size: Int, text: String)] = [
            (9, "LOCAL TEST LABEL - NOT VALID FOR POSTAGE"),
            (9, "Service \(request.serviceCode)\(request.signatureRequired ? " - signature on delivery" : "")"),
            (20, trackingNumber),
            (9, ""),
            (12, recipient.name),
        ]
        lines += recipient.addressLines.map { (12, $0) }
        lines += [(12, recipient.town), (16, recipient.postcode.uppercased())]

        var content = "BT\n24 \(Self.pageHeightPoints - 40) Td\n"
        for line in lines {
            content += "/F1 \(line.size) Tf\n0 -\(line.size + 8) Td\n(\(Self.escaped(line.text))) Tj\n"
        }
        content += "ET\n"
        let stream = Array(content.utf8)

        let objects: [[UInt8]] = [
            Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
            Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8),
            Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.pageWidthPoints) \(Self.pageHeightPoints)] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".utf8),
            Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".utf8),
            Array("<< /Length \(stream.count) >>\nstream\n".utf8) + stream + Array("endstream".utf8),
        ]
        // The header's second line is a comment of bytes over 127, so tools treat the file as binary (§7.5.2).
        var bytes = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(bytes.count)
            bytes += Array("\(index + 1) 0 obj\n".utf8) + object + Array("\nendobj\n".utf8)
        }
        let xrefOffset = bytes.count
        // §7.5.4: each cross-reference entry is exactly 20 bytes, ending in space and line feed.
        var xref = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            xref += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
        }
        xref += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
        return bytes + Array(xref.utf8)
    }

    /// A PDF literal string's content (§7.3.4.2): `\`, `(` and `)` escaped; Latin-1 letters as
    /// octal escapes (WinAnsiEncoding matches Latin-1 there); anything else as `?`.
    private static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C, 0x28, 0x29: result += "\\" + String(scalar)
            case 0x20..<0x7F: result.unicodeScalars.append(scalar)
            case 0xA0...0xFF:
                let octal = String(scalar.value, radix: 8)
                result += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            default: result += "?"
            }
        }
        return result
    }
}
