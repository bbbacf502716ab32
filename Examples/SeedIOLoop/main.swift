// Pika's first introduction program in Swift: open a connection with the default parameters
// (localhost:5672, guest/guest) and run its I/O loop. Ctrl-C closes the connection gracefully,
// runs the loop until the close is done, and exits 0.
//
//   swift run seed-ioloop

import Hare

func onOpen(_ connection: SelectConnection) {
    // Runs once the connection is open; this program has nothing more to do with it.
}

// Make the connection object, handing it the function to call once it is open.
let connection = SelectConnection(onOpen: onOpen)

do {
    // Run the loop so we can talk to RabbitMQ.
    try connection.ioloop.start()
} catch {
    // Ctrl-C: close the connection gracefully...
    connection.close()
    // ...and run the loop again until it has closed (start() returns on its own then).
    try? connection.ioloop.start()
}
