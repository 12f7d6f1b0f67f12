import Generated
import RPCCore

typealias Prescription = Medexpress_Testing_V1_Prescription

/// Messages that set every field kind of codegen_test.proto, and the same values as text format.
enum Fixtures {
    static let scalars = Medexpress_Testing_V1_Scalars.with {
        $0.fDouble = -1.5e300
        $0.fFloat = 3.25
        $0.fInt32 = Int32.min
        $0.fInt64 = Int64.min
        $0.fUint32 = UInt32.max
        $0.fUint64 = UInt64.max
        $0.fSint32 = -17
        $0.fSint64 = Int64.max
        $0.fFixed32 = 0xdead_beef
        $0.fFixed64 = 0x0123_4567_89ab_cdef
        $0.fSfixed32 = -2
        $0.fSfixed64 = -3
        $0.fBool = true
        $0.fString = "héllo, 世界 💊"
        $0.fBytes = [0, 1, 0x7f, 0x80, 0xff]
    }

    static let repeated = Medexpress_Testing_V1_Repeated.with {
        $0.rInt32 = [0, -1, Int32.max]
        $0.rInt64 = [Int64.min, 0, 5]
        $0.rUint32 = [0, UInt32.max]
        $0.rUint64 = [UInt64.max, 1]
        $0.rSint32 = [-1, 1, Int32.min]
        $0.rSint64 = [Int64.min, Int64.max]
        $0.rFixed32 = [1, 2, 3]
        $0.rFixed64 = [UInt64.max]
        $0.rSfixed32 = [-7, 7]
        $0.rSfixed64 = [-8, 8]
        $0.rDouble = [0.5, -0.25]
        $0.rFloat = [1.5, -2.5]
        $0.rBool = [true, false, true]
        $0.rString = ["a", "", "ü"]
        $0.rBytes = [[], [0], [1, 2, 3]]
        $0.rColor = [.red, .infrared, .unspecified]
        $0.rItem = [item(name: "x", form: .tablet, quantity: 1), Prescription.Item()]
        $0.rForm = [.liquid, .capsule]
    }

    static func item(name: String, form: Prescription.Item.Form, quantity: Int32) -> Prescription.Item {
        .with {
            $0.name = name
            $0.form = form
            $0.quantity = quantity
        }
    }

    /// A prescription with every field of codegen_test.proto set, the oneof as `locker_code`.
    static let prescription = Prescription.with {
        $0.id = "rx-001"
        $0.primary = .with {
            $0.name = "Amoxicillin"
            $0.form = .capsule
            $0.quantity = 21
            $0.doses = [.with {
                $0.milligrams = 500
                $0.interval = .with { $0.seconds = 28_800 }
            }]
        }
        $0.items = [item(name: "Paracetamol", form: .tablet, quantity: 32), item(name: "Syrup", form: .liquid, quantity: 1)]
        $0.lockerCode = "L-42"
        $0.labels = ["ward": "B", "urgent": "", "note": "ñ"]
        $0.itemsByCode = ["AMX": item(name: "Amoxicillin", form: .capsule, quantity: 21), "EMPTY": Prescription.Item()]
        $0.colorsBySlot = [1: .red, -5: .infrared, 0: .unspecified]
        $0.countsByFlag = [true: 3, false: -9]
        $0.issuedAt = .with {
            $0.seconds = 1_700_000_000
            $0.nanos = 123
        }
        $0.maxRefills = .with { $0.value = 2 }
        $0.color = .green
        $0.signature = [0, 1, 2, 0xff]
        $0.scalars = scalars
        $0.repeated = repeated
        $0.replaces = .with {
            $0.id = "rx-000"
            $0.replaces = .with { $0.id = "rx-original" }
        }
        $0.history = [.with { $0.id = "h-1" }, .with { $0.id = "h-2"; $0.pickupSlot = 0 }]
        $0.`default` = "default"
        $0.`class` = 7
        $0.`public` = true
        $0.`protocol` = "https"
    }

    /// `prescription` in protobuf text format, for protoc --encode.
    static let prescriptionText = #"""
        id: "rx-001"
        primary { name: "Amoxicillin" form: CAPSULE quantity: 21 doses { milligrams: 500 interval { seconds: 28800 } } }
        items { name: "Paracetamol" form: TABLET quantity: 32 }
        items { name: "Syrup" form: LIQUID quantity: 1 }
        locker_code: "L-42"
        labels { key: "ward" value: "B" }
        labels { key: "urgent" value: "" }
        labels { key: "note" value: "ñ" }
        items_by_code { key: "AMX" value { name: "Amoxicillin" form: CAPSULE quantity: 21 } }
        items_by_code { key: "EMPTY" value { } }
        colors_by_slot { key: 1 value: COLOR_RED }
        colors_by_slot { key: -5 value: COLOR_INFRARED }
        colors_by_slot { key: 0 value: COLOR_UNSPECIFIED }
        counts_by_flag { key: true value: 3 }
        counts_by_flag { key: false value: -9 }
        issued_at { seconds: 1700000000 nanos: 123 }
        max_refills { value: 2 }
        color: COLOR_GREEN
        signature: "\000\001\002\377"
        scalars {
          f_double: -1.5e300 f_float: 3.25 f_int32: -2147483648 f_int64: -9223372036854775808
          f_uint32: 4294967295 f_uint64: 18446744073709551615 f_sint32: -17 f_sint64: 9223372036854775807
          f_fixed32: 3735928559 f_fixed64: 81985529216486895 f_sfixed32: -2 f_sfixed64: -3 f_bool: true
          f_string: "héllo, 世界 💊" f_bytes: "\000\001\177\200\377"
        }
        repeated {
          r_int32: [0, -1, 2147483647] r_int64: [-9223372036854775808, 0, 5] r_uint32: [0, 4294967295]
          r_uint64: [18446744073709551615, 1] r_sint32: [-1, 1, -2147483648]
          r_sint64: [-9223372036854775808, 9223372036854775807] r_fixed32: [1, 2, 3]
          r_fixed64: [18446744073709551615] r_sfixed32: [-7, 7] r_sfixed64: [-8, 8] r_double: [0.5, -0.25]
          r_float: [1.5, -2.5] r_bool: [true, false, true] r_string: ["a", "", "ü"] r_bytes: ["", "\000", "\001\002\003"]
          r_color: [COLOR_RED, COLOR_INFRARED, COLOR_UNSPECIFIED]
          r_item { name: "x" form: TABLET quantity: 1 }
          r_item { }
          r_form: [LIQUID, CAPSULE]
        }
        replaces { id: "rx-000" replaces { id: "rx-original" } }
        history { id: "h-1" }
        history { id: "h-2" pickup_slot: 0 }
        default: "default"
        class: 7
        public: true
        protocol: "https"
        """#
}
