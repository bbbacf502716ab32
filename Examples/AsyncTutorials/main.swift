// RabbitMQ's six tutorials with async/await (Hare's `Connection` and `Channel`). The callback
// versions are in Examples/Tutorials; these print the same lines.
//
//   async-tutorials hello-world send [message...] | receive
//   async-tutorials work-queues new-task [message...] | worker
//   async-tutorials publish-subscribe emit-log [message...] | receive-logs
//   async-tutorials routing emit-log-direct [severity [message...]] | receive-logs-direct severity...
//   async-tutorials topics emit-log-topic [key [message...]] | receive-logs-topic binding...
//   async-tutorials rpc server | client [n]
//
// Connects to HARE_TEST_URL when it is set, else to Pika's defaults (localhost:5672, guest/guest).
// Receivers and servers run until Ctrl-C, which cancels their task: that ends their
// `for try await` loop (and cancels the consumer on the broker); the connection then closes
// gracefully and the program exits 0.

import ExampleSupport

let tutorials = [
    HelloWorld.tutorial, WorkQueues.tutorial, PublishSubscribe.tutorial, Routing.tutorial, Topics.tutorial, RPC.tutorial,
]

let words = Array(CommandLine.arguments.dropFirst())
let tutorial = tutorials.first { $0.name == words.first }
guard let role = tutorial?.roles.first(where: { $0.name == words.dropFirst().first && $0.arguments.contains(words.count - 2) })
else {
    let forms = tutorials.flatMap { tutorial in
        tutorial.roles.map { [tutorial.name, $0.name, $0.synopsis].filter { !$0.isEmpty }.joined(separator: " ") }
    }
    complain("usage: async-tutorials " + forms.joined(separator: "\n     | async-tutorials "))
}

// The role runs in a task of its own, which Ctrl-C cancels.
let work = Task { try await role.run(Array(words.dropFirst(2))) }
let interrupts = cancelOnInterrupt(work)

do {
    try await work.value
} catch where work.isCancelled {
    // Ctrl-C: the connection is closed; a normal end.
} catch {
    complain(" [!] \(error)")
}
