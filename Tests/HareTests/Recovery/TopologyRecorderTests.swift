import AMQPProtocol
import Testing

@testable import Hare

@Suite("Recovery: the topology recorder")
struct TopologyRecorderTests {
    static func declareQueue(_ name: String, autoDelete: Bool = false, passive: Bool = false) -> AMQP.Method {
        .queueDeclare(AMQP.Queue.Declare(queue: name, passive: passive, durable: false, exclusive: false, autoDelete: autoDelete, noWait: false, arguments: [:]))
    }

    static func declareOk(_ name: String) -> AMQP.Method {
        .queueDeclareOk(AMQP.Queue.DeclareOk(queue: name, messageCount: 0, consumerCount: 0))
    }

    static func declareExchange(_ name: String, autoDelete: Bool = false, passive: Bool = false) -> AMQP.Method {
        .exchangeDeclare(AMQP.Exchange.Declare(
            exchange: name, type: "topic", passive: passive, durable: true, autoDelete: autoDelete, internal: false, noWait: false, arguments: [:]
        ))
    }

    static func bindQueue(_ queue: String, _ exchange: String, _ key: String) -> AMQP.Method {
        .queueBind(AMQP.Queue.Bind(queue: queue, exchange: exchange, routingKey: key, noWait: false, arguments: [:]))
    }

    static func consume(_ queue: String, tag: String) -> AMQP.Method {
        .basicConsume(AMQP.Basic.Consume(queue: queue, consumerTag: tag, noLocal: false, noAck: false, exclusive: false, noWait: false, arguments: [:]))
    }

    static func cancel(_ tag: String) -> AMQP.Method {
        .basicCancel(AMQP.Basic.Cancel(consumerTag: tag, noWait: false))
    }

    @Test("records exchanges, queues, bindings and consumers in the order they were made")
    func records() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareExchange("x"), reply: nil, channel: 1)
        recorder.record(Self.declareQueue("q"), reply: Self.declareOk("q"), channel: 1)
        recorder.record(Self.declareQueue(""), reply: Self.declareOk("amq.gen-1"), channel: 2)
        recorder.record(Self.bindQueue("q", "x", "a.#"), reply: nil, channel: 1)
        recorder.record(.exchangeBind(AMQP.Exchange.Bind(destination: "x", source: "y", routingKey: "k", noWait: false, arguments: [:])), reply: nil, channel: 1)
        recorder.record(Self.consume("q", tag: "c1"), reply: .basicConsumeOk(AMQP.Basic.ConsumeOk(consumerTag: "c1")), channel: 3)

        #expect(recorder.exchanges.map(\.name) == ["x"])
        #expect(recorder.exchanges.first?.type == "topic")
        #expect(recorder.queues.map(\.name) == ["q", "amq.gen-1"])
        #expect(recorder.queues.map(\.serverNamed) == [false, true])
        #expect(recorder.bindings.map(\.destination) == [.queue("q"), .exchange("x")])
        #expect(recorder.consumers(on: 3).map(\.consumerTag) == ["c1"])
        #expect(recorder.consumers(on: 1).isEmpty)
    }

    @Test("passive declarations, failed ones and the broker's own exchanges are not recorded")
    func notRecorded() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareExchange("x", passive: true), reply: nil, channel: 1)
        recorder.record(Self.declareExchange("amq.topic"), reply: nil, channel: 1)
        recorder.record(Self.declareExchange(""), reply: nil, channel: 1)
        recorder.record(Self.declareQueue("q", passive: true), reply: Self.declareOk("q"), channel: 1)
        recorder.record(Self.declareQueue(""), reply: nil, channel: 1)  // no-wait server-named: no name known
        #expect(recorder.exchanges.isEmpty)
        #expect(recorder.queues.isEmpty)
    }

    @Test("a deleted queue takes its bindings and consumers with it; a deleted exchange its bindings")
    func deletions() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareExchange("x"), reply: nil, channel: 1)
        recorder.record(Self.declareQueue("q"), reply: Self.declareOk("q"), channel: 1)
        recorder.record(Self.declareQueue("r"), reply: Self.declareOk("r"), channel: 1)
        recorder.record(Self.bindQueue("q", "x", "k"), reply: nil, channel: 1)
        recorder.record(Self.bindQueue("r", "x", "k"), reply: nil, channel: 1)
        recorder.record(Self.consume("q", tag: "c"), reply: nil, channel: 1)
        recorder.record(.queueDelete(AMQP.Queue.Delete(queue: "q", ifUnused: false, ifEmpty: false, noWait: false)), reply: nil, channel: 1)
        #expect(recorder.queues.map(\.name) == ["r"])
        #expect(recorder.bindings.map(\.destination) == [.queue("r")])
        #expect(recorder.consumers.isEmpty)

        recorder.record(.exchangeDelete(AMQP.Exchange.Delete(exchange: "x", ifUnused: false, noWait: false)), reply: nil, channel: 1)
        #expect(recorder.exchanges.isEmpty)
        #expect(recorder.bindings.isEmpty)
        #expect(recorder.queues.map(\.name) == ["r"])
    }

    @Test("unbinding removes exactly that binding; an auto-delete exchange goes with its last one")
    func unbinding() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareExchange("x", autoDelete: true), reply: nil, channel: 1)
        recorder.record(Self.bindQueue("q", "x", "a"), reply: nil, channel: 1)
        recorder.record(Self.bindQueue("q", "x", "a"), reply: nil, channel: 1)  // a duplicate bind is one binding
        recorder.record(Self.bindQueue("q", "x", "b"), reply: nil, channel: 1)
        #expect(recorder.bindings.count == 2)
        recorder.record(.queueUnbind(AMQP.Queue.Unbind(queue: "q", exchange: "x", routingKey: "a", arguments: [:])), reply: nil, channel: 1)
        #expect(recorder.bindings.map(\.routingKey) == ["b"])
        #expect(recorder.exchanges.map(\.name) == ["x"])
        recorder.record(.queueUnbind(AMQP.Queue.Unbind(queue: "q", exchange: "x", routingKey: "b", arguments: [:])), reply: nil, channel: 1)
        #expect(recorder.exchanges.isEmpty)
    }

    @Test("an auto-delete queue is forgotten when the application cancels its last consumer, not when the broker does")
    func autoDeleteQueue() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareQueue("a", autoDelete: true), reply: Self.declareOk("a"), channel: 1)
        recorder.record(Self.consume("a", tag: "c1"), reply: nil, channel: 1)
        recorder.record(Self.consume("a", tag: "c2"), reply: nil, channel: 2)
        recorder.record(Self.cancel("c1"), reply: nil, channel: 1)
        #expect(recorder.queues.map(\.name) == ["a"])
        recorder.forgetConsumer("c2", on: 2)
        #expect(recorder.queues.map(\.name) == ["a"])
        recorder.record(Self.consume("a", tag: "c3"), reply: nil, channel: 2)
        recorder.record(Self.cancel("c3"), reply: nil, channel: 2)
        #expect(recorder.queues.isEmpty)
    }

    @Test("a renamed server-named queue carries its bindings and consumers")
    func rename() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareExchange("x"), reply: nil, channel: 1)
        recorder.record(Self.declareQueue(""), reply: Self.declareOk("amq.gen-old"), channel: 1)
        recorder.record(Self.bindQueue("amq.gen-old", "x", "k"), reply: nil, channel: 1)
        recorder.record(Self.consume("amq.gen-old", tag: "c"), reply: nil, channel: 1)
        recorder.renameQueue("amq.gen-old", to: "amq.gen-new")
        #expect(recorder.queues.map(\.name) == ["amq.gen-new"])
        #expect(recorder.queues.first?.serverNamed == true)
        #expect(recorder.bindings.map(\.destination) == [.queue("amq.gen-new")])
        #expect(recorder.consumers.map(\.queue) == ["amq.gen-new"])
    }

    @Test("a channel's qos (per scope), confirm and tx modes are kept until it closes")
    func channelSettings() {
        var recorder = TopologyRecorder()
        recorder.record(.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 10, global: false)), reply: nil, channel: 4)
        recorder.record(.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 50, global: true)), reply: nil, channel: 4)
        recorder.record(.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 20, global: false)), reply: nil, channel: 4)
        recorder.record(.confirmSelect(AMQP.Confirm.Select(nowait: false)), reply: nil, channel: 4)
        recorder.record(Self.consume("q", tag: "c"), reply: nil, channel: 4)
        let settings = recorder.settings(of: 4)
        #expect(settings.qos.map(\.prefetchCount) == [50, 20])
        #expect(settings.confirmMode)
        #expect(!settings.transactional)
        #expect(recorder.settings(of: 5) == TopologyRecorder.ChannelSettings())

        recorder.channelClosed(4)
        #expect(recorder.settings(of: 4) == TopologyRecorder.ChannelSettings())
        #expect(recorder.consumers.isEmpty)
    }

    @Test("a closed channel's consumers go, and an auto-delete queue whose last consumer was among them")
    func channelClosedAutoDelete() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareQueue("a", autoDelete: true), reply: Self.declareOk("a"), channel: 1)
        recorder.record(Self.declareQueue("b", autoDelete: true), reply: Self.declareOk("b"), channel: 1)
        recorder.record(Self.consume("a", tag: "c1"), reply: nil, channel: 1)
        recorder.record(Self.consume("b", tag: "c2"), reply: nil, channel: 1)
        recorder.record(Self.consume("b", tag: "c3"), reply: nil, channel: 2)
        recorder.channelClosed(1)
        #expect(recorder.queues.map(\.name) == ["b"])
        #expect(recorder.consumers.map(\.consumerTag) == ["c3"])
    }

    @Test("each consumer remembers the per-consumer qos it started under")
    func consumerQos() throws {
        var recorder = TopologyRecorder()
        let ten = AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 10, global: false)
        let twenty = AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 20, global: false)
        recorder.record(Self.consume("q", tag: "none"), reply: nil, channel: 1)
        recorder.record(.basicQos(ten), reply: nil, channel: 1)
        recorder.record(.basicQos(AMQP.Basic.Qos(prefetchSize: 0, prefetchCount: 99, global: true)), reply: nil, channel: 1)
        recorder.record(Self.consume("q", tag: "ten"), reply: nil, channel: 1)
        recorder.record(.basicQos(twenty), reply: nil, channel: 1)
        recorder.record(Self.consume("q", tag: "twenty"), reply: nil, channel: 1)
        let byTag = Dictionary(uniqueKeysWithValues: recorder.consumers.map { ($0.consumerTag, recorder.qos(of: $0)) })
        #expect(byTag["none"] == .some(nil))
        #expect(byTag["ten"] == ten)
        #expect(byTag["twenty"] == twenty)
    }

    @Test("an empty queue name means the channel's last declared queue (bind with an empty key binds by its name)")
    func lastDeclaredQueue() {
        var recorder = TopologyRecorder()
        recorder.record(Self.declareQueue(""), reply: Self.declareOk("amq.gen-1"), channel: 1)
        recorder.record(Self.declareQueue("other"), reply: Self.declareOk("other"), channel: 2)
        recorder.record(.queueBind(AMQP.Queue.Bind(queue: "", exchange: "x", routingKey: "", noWait: false, arguments: [:])), reply: nil, channel: 1)
        recorder.record(Self.consume("", tag: "c"), reply: nil, channel: 1)
        #expect(recorder.bindings == [RecordedBinding(source: "x", destination: .queue("amq.gen-1"), routingKey: "amq.gen-1", arguments: [:])])
        #expect(recorder.consumers.map(\.queue) == ["amq.gen-1"])
        recorder.record(.queueDelete(AMQP.Queue.Delete(queue: "", ifUnused: false, ifEmpty: false, noWait: false)), reply: nil, channel: 1)
        #expect(recorder.queues.map(\.name) == ["other"])
        #expect(recorder.bindings.isEmpty && recorder.consumers.isEmpty)
    }
}
