import AMQPProtocol
import NIOCore
import Testing

/// Per-method metadata from the spec, reply codes, and RabbitMQ's extra connection methods.
@Suite("Metadata")
struct MetadataTests {
    func ids(_ types: [any AMQPMethodProtocol.Type]) -> [ObjectIdentifier] { types.map { ObjectIdentifier($0) } }

    @Test("queue.declare is synchronous and answered by declare-ok")
    func queueDeclare() {
        #expect(AMQP.Queue.Declare.isSynchronous)
        #expect(ids(AMQP.Queue.Declare.responseTypes) == ids([AMQP.Queue.DeclareOk.self]))
        #expect(AMQP.Queue.Declare.classID == 50 && AMQP.Queue.Declare.methodID == 10)
        #expect(AMQP.Queue.Declare.name == "queue.declare")
        #expect(!AMQP.Queue.Declare.hasContent)
        #expect(AMQP.Queue.DeclareOk.responseTypes.isEmpty)
        #expect(AMQP.Method.queueDeclare(AMQP.Queue.Declare()).isSynchronous)
    }

    @Test("basic.get is answered by get-ok or get-empty")
    func basicGet() {
        #expect(ids(AMQP.Basic.Get.responseTypes) == ids([AMQP.Basic.GetOk.self, AMQP.Basic.GetEmpty.self]))
    }

    @Test("basic.publish, basic.deliver, basic.get-ok and basic.return carry content; others do not")
    func hasContent() {
        #expect(AMQP.Basic.Publish.hasContent)
        #expect(AMQP.Basic.Deliver.hasContent)
        #expect(AMQP.Basic.GetOk.hasContent)
        #expect(AMQP.Basic.Return.hasContent)
        #expect(!AMQP.Basic.Ack.hasContent)
        #expect(!AMQP.Basic.GetEmpty.hasContent)
        #expect(!AMQP.Basic.Publish.isSynchronous)
        var generator = TestSeed.generator(for: #function)
        let withContent = AMQP.Method.arbitraryInstances(using: &generator).filter(\.hasContent).map(\.name)
        #expect(withContent.sorted() == ["basic.deliver", "basic.get-ok", "basic.publish", "basic.return"])
    }

    @Test("reply codes: 404 is soft, 320 is hard, 200 has no error class")
    func replyCodes() {
        #expect(AMQP.ReplyCode(rawValue: 404).errorClass == .softError)
        #expect(AMQP.ReplyCode(rawValue: 320).errorClass == .hardError)
        #expect(AMQP.ReplyCode(rawValue: 200).errorClass == nil)
        #expect(AMQP.ReplyCode(rawValue: 999).errorClass == nil)
        #expect(AMQP.ReplyCode.notFound.rawValue == 404)
        #expect(AMQP.ReplyCode.notFound.name == "not-found")
        #expect(AMQP.ReplyCode.connectionForced == AMQP.ReplyCode(rawValue: 320))
        #expect(AMQP.ReplyCode.preconditionFailed.errorClass == .softError)
        #expect(AMQP.ReplyCode.notAllowed.errorClass == .hardError)
        #expect(AMQP.ReplyCode(rawValue: 999).name == nil)
        #expect(AMQP.ReplyCode.allKnown.count == 18)
        #expect(AMQP.ReplyCode.allKnown.contains(.replySuccess))
    }

    @Test("RabbitMQ's connection.blocked/unblocked/update-secret/update-secret-ok")
    func rabbitConnectionMethods() throws {
        #expect(AMQP.Connection.Blocked.classID == 10 && AMQP.Connection.Blocked.methodID == 60)
        #expect(AMQP.Connection.Unblocked.classID == 10 && AMQP.Connection.Unblocked.methodID == 61)
        #expect(AMQP.Connection.UpdateSecret.classID == 10 && AMQP.Connection.UpdateSecret.methodID == 70)
        #expect(AMQP.Connection.UpdateSecretOk.classID == 10 && AMQP.Connection.UpdateSecretOk.methodID == 71)
        #expect(AMQP.Connection.Blocked.name == "connection.blocked")
        #expect(AMQP.Connection.UpdateSecret.name == "connection.update-secret")
        #expect(!AMQP.Connection.Blocked.isSynchronous && !AMQP.Connection.Unblocked.isSynchronous)
        #expect(AMQP.Connection.UpdateSecret.isSynchronous)
        #expect(ids(AMQP.Connection.UpdateSecret.responseTypes) == ids([AMQP.Connection.UpdateSecretOk.self]))

        // connection.blocked("low on memory") on the wire: class 10, method 60, shortstr reason.
        let frame: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x0A, 0x00, 0x3C, 0x0D] + ascii("low on memory") + [0xCE]
        expectFrames(frame, [.method(channel: 0, .connectionBlocked(AMQP.Connection.Blocked(reason: "low on memory")))])
        expectFrames([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0A, 0x00, 0x3D, 0xCE],
                     [.method(channel: 0, .connectionUnblocked(AMQP.Connection.Unblocked()))])
        let secret: [UInt8] = [0x00, 0x0A, 0x00, 0x46, 0x00, 0x00, 0x00, 0x03] + ascii("tok") + [0x03] + ascii("new")
        expectFrames(rawFrame(type: 1, channel: 0, payload: secret),
                     [.method(channel: 0, .connectionUpdateSecret(AMQP.Connection.UpdateSecret(newSecret: ByteBuffer(bytes: ascii("tok")), reason: "new")))])
        expectFrames([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0A, 0x00, 0x47, 0xCE],
                     [.method(channel: 0, .connectionUpdateSecretOk(AMQP.Connection.UpdateSecretOk()))])
    }

    @Test("AMQP.Method's metadata agrees with its struct's, and ids and names are unique")
    func methodEnumAgrees() {
        var generator = TestSeed.generator(for: #function)
        let methods = AMQP.Method.arbitraryInstances(using: &generator)
        #expect(methods.count == 64)
        var pairs = Set<[UInt16]>()
        var names = Set<String>()
        for method in methods {
            let methodType = type(of: method.payload)
            #expect(methodType.classID == method.classID, "\(method.name)")
            #expect(methodType.methodID == method.methodID, "\(method.name)")
            #expect(methodType.name == method.name)
            #expect(methodType.isSynchronous == method.isSynchronous, "\(method.name)")
            #expect(methodType.hasContent == method.hasContent, "\(method.name)")
            #expect(method.name.hasPrefix(className(method.classID) + "."), "\(method.name)")
            pairs.insert([method.classID, method.methodID])
            names.insert(method.name)
            // Responses belong to the same class, and only synchronous methods have them.
            let synchronous = methodType.isSynchronous
            for response in methodType.responseTypes {
                #expect(response.classID == methodType.classID, "\(method.name) -> \(response.name)")
                #expect(synchronous, "\(method.name) has responses but is not synchronous")
            }
        }
        #expect(pairs.count == 64)
        #expect(names.count == 64)
    }

    func className(_ id: UInt16) -> String {
        switch id {
        case AMQP.Connection.classID: "connection"
        case AMQP.Channel.classID: "channel"
        case AMQP.Exchange.classID: "exchange"
        case AMQP.Queue.classID: "queue"
        case AMQP.Basic.classID: "basic"
        case AMQP.Tx.classID: "tx"
        case AMQP.Confirm.classID: "confirm"
        default: "?"
        }
    }

    @Test("constants and limits")
    func constants() {
        #expect(AMQP.version == (0, 9, 1))
        #expect(AMQP.defaultPort == 5672)
        #expect(AMQP.Constants.frameEnd == 0xCE)
        #expect(AMQPLimits.minimumFrameMax == 4096)
        #expect(AMQPLimits.defaultMaxBodySize == 64 * 1024 * 1024)
        #expect(AMQPLimits.maxNestingDepth == 32)
        #expect(AMQPLimits.maxShortStringLength == 255)
        #expect(AMQPFrameParser().maxFrameSize == 4096)
        #expect(AMQPFrameParser().maxBodySize == 64 * 1024 * 1024)
    }
}
