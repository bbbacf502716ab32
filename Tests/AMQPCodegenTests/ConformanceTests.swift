import AMQPCodegenCore
import Foundation
import Testing

/// Spec/amqp0-9-1.xml must be Debian's RabbitMQ 0-9-1 spec plus exactly four connection methods
/// (blocked, unblocked, update-secret, update-secret-ok) and the errata below, and nothing else.
@Suite("Spec/ conforms to Debian's 0-9-1-rabbit spec")
struct ConformanceTests {
    /// The methods Spec/ adds to `connection`, in order, with their index.
    static let additions: [(name: String, index: Int)] = [
        ("blocked", 60), ("unblocked", 61), ("update-secret", 70), ("update-secret-ok", 71),
    ]

    /// Methods whose metadata Spec/ corrects: Debian's file leaves basic.recover asynchronous with
    /// no response, but it is synchronous and answered by recover-ok (the 0-9-1 specification's
    /// text, and what RabbitMQ sends).
    static let errata: [String: (synchronous: Bool, responses: [String])] = [
        "basic.recover": (true, ["recover-ok"]),
    ]

    /// Both specs, or nil after recording why (a missing Debian file is a failure, not a skip).
    func loadSpecs() throws -> (debian: Spec, ours: Spec)? {
        guard FileManager.default.fileExists(atPath: TestSupport.debianRabbitSpec) else {
            Issue.record("""
                \(TestSupport.debianRabbitSpec) is missing: install Debian's amqp-specs package \
                (run scripts/setup) so Spec/amqp0-9-1.xml can be checked against it.
                """)
            return nil
        }
        let debianBytes = try #require(TestSupport.bytes(atPath: TestSupport.debianRabbitSpec))
        let debian = try SpecParser(fileName: TestSupport.debianRabbitSpec).parse(bytes: debianBytes)
        let ours = try SpecParser(fileName: TestSupport.specName).parse(bytes: TestSupport.specBytes())
        return (debian, ours)
    }

    @Test("version, port, constants and domains are Debian's")
    func constantsAndDomains() throws {
        guard let (debian, ours) = try loadSpecs() else { return }
        #expect(ours.major == debian.major && ours.minor == debian.minor && ours.revision == debian.revision)
        #expect(ours.port == debian.port)

        #expect(ours.constants.count == debian.constants.count, "Spec/ must add or drop no constant")
        for (offset, constant) in debian.constants.enumerated() {
            guard let index = ours.constants.firstIndex(where: { $0.name == constant.name }) else {
                Issue.record("constant \"\(constant.name)\" is missing from Spec/")
                continue
            }
            let mine = ours.constants[index]
            #expect(mine.value == constant.value, "constant \"\(constant.name)\": value \(mine.value), Debian has \(constant.value)")
            #expect(mine.errorClass == constant.errorClass, "constant \"\(constant.name)\": class \(mine.errorClass ?? "none"), Debian has \(constant.errorClass ?? "none")")
            #expect(index == offset, "constant \"\(constant.name)\" is at position \(index), Debian has \(offset)")
        }

        #expect(ours.domains.count == debian.domains.count, "Spec/ must add or drop no domain")
        for (offset, domain) in debian.domains.enumerated() {
            guard let index = ours.domains.firstIndex(where: { $0.name == domain.name }) else {
                Issue.record("domain \"\(domain.name)\" is missing from Spec/")
                continue
            }
            let mine = ours.domains[index]
            #expect(mine.declaredType == domain.declaredType, "domain \"\(domain.name)\": type \(mine.declaredType), Debian has \(domain.declaredType)")
            #expect(mine.type == domain.type, "domain \"\(domain.name)\": wire type \(mine.type), Debian has \(domain.type)")
            #expect(index == offset, "domain \"\(domain.name)\" is at position \(index), Debian has \(offset)")
        }
    }

    @Test("classes, methods, fields and properties are Debian's")
    func classesMethodsFields() throws {
        guard let (debian, ours) = try loadSpecs() else { return }
        #expect(ours.classes.map(\.name) == debian.classes.map(\.name), "classes or their order differ")
        for debianClass in debian.classes {
            guard let mine = ours.specClass(named: debianClass.name) else {
                Issue.record("class \"\(debianClass.name)\" is missing from Spec/")
                continue
            }
            #expect(mine.index == debianClass.index, "class \"\(debianClass.name)\": index \(mine.index), Debian has \(debianClass.index)")
            compareFields(mine.properties, debianClass.properties, owner: "properties of class \"\(debianClass.name)\"")

            // Our methods without the additions must be Debian's, in Debian's order.
            let additions = debianClass.name == "connection" ? Set(Self.additions.map(\.name)) : []
            let kept = mine.methods.filter { !additions.contains($0.name) }
            #expect(kept.map(\.name) == debianClass.methods.map(\.name), "methods of class \"\(debianClass.name)\" or their order differ")
            for debianMethod in debianClass.methods {
                guard let method = kept.first(where: { $0.name == debianMethod.name }) else {
                    Issue.record("method \"\(debianClass.name).\(debianMethod.name)\" is missing from Spec/")
                    continue
                }
                let what = "method \"\(debianClass.name).\(debianMethod.name)\""
                #expect(method.index == debianMethod.index, "\(what): index \(method.index), Debian has \(debianMethod.index)")
                let erratum = Self.errata["\(debianClass.name).\(debianMethod.name)"]
                #expect(method.isSynchronous == (erratum?.synchronous ?? debianMethod.isSynchronous), "\(what): synchronous differs")
                #expect(method.hasContent == debianMethod.hasContent, "\(what): content differs")
                #expect(method.isDeprecated == debianMethod.isDeprecated, "\(what): deprecated differs")
                #expect(method.responses == (erratum?.responses ?? debianMethod.responses), "\(what): responses \(method.responses), Debian has \(debianMethod.responses)")
                compareFields(method.fields, debianMethod.fields, owner: what)
            }
        }
    }

    @Test("Spec/ adds exactly connection.blocked, unblocked, update-secret and update-secret-ok")
    func exactlyTheFourAdditions() throws {
        guard let (debian, ours) = try loadSpecs() else { return }
        var added: [String] = []
        for specClass in ours.classes {
            let debianClass = debian.specClass(named: specClass.name)
            for method in specClass.methods where debianClass?.methods.contains(where: { $0.name == method.name }) != true {
                added.append("\(specClass.name).\(method.name)")
            }
        }
        #expect(added == Self.additions.map { "connection.\($0.name)" })

        let connection = try #require(ours.specClass(named: "connection"))
        #expect(Array(connection.methods.suffix(4).map(\.name)) == Self.additions.map(\.name), "the four additions come last, in order")
        for (name, index) in Self.additions {
            let method = try #require(connection.methods.first { $0.name == name })
            #expect(method.index == index, "connection.\(name) has index \(method.index), expected \(index)")
            #expect(!method.hasContent)
        }
        let blocked = try #require(connection.methods.first { $0.name == "blocked" })
        #expect(!blocked.isSynchronous && blocked.responses.isEmpty)
        #expect(blocked.fields.map(\.name) == ["reason"] && blocked.fields.map(\.type) == [.shortstr])
        let unblocked = try #require(connection.methods.first { $0.name == "unblocked" })
        #expect(!unblocked.isSynchronous && unblocked.fields.isEmpty)
        let updateSecret = try #require(connection.methods.first { $0.name == "update-secret" })
        #expect(updateSecret.isSynchronous && updateSecret.responses == ["update-secret-ok"])
        #expect(updateSecret.fields.map(\.name) == ["new-secret", "reason"] && updateSecret.fields.map(\.type) == [.longstr, .shortstr])
        let updateSecretOk = try #require(connection.methods.first { $0.name == "update-secret-ok" })
        #expect(updateSecretOk.isSynchronous && updateSecretOk.fields.isEmpty)
    }

    /// Same fields (or properties) in the same order, with the same domain, wire type and reserved flag.
    private func compareFields(_ mine: [SpecField], _ debian: [SpecField], owner: String) {
        #expect(mine.map(\.name) == debian.map(\.name), "fields of \(owner) or their order differ")
        for field in debian {
            guard let ours = mine.first(where: { $0.name == field.name }) else {
                Issue.record("field \"\(field.name)\" of \(owner) is missing from Spec/")
                continue
            }
            let what = "field \"\(field.name)\" of \(owner)"
            #expect(ours.domain == field.domain, "\(what): domain \(ours.domain ?? "none"), Debian has \(field.domain ?? "none")")
            #expect(ours.type == field.type, "\(what): type \(ours.type), Debian has \(field.type)")
            #expect(ours.isReserved == field.isReserved, "\(what): reserved \(ours.isReserved), Debian has \(field.isReserved)")
        }
    }
}
