@testable import Hare

/// The error `URLParameters(url)` throws, or nil when it parses.
func urlError(_ url: String) -> URLParametersError? {
    do throws(URLParametersError) {
        _ = try URLParameters(url)
        return nil
    } catch {
        return error
    }
}

/// The error `parameters.validate()` throws, or nil when they are valid.
func validationError(_ parameters: ConnectionParameters) -> ParametersError? {
    do throws(ParametersError) {
        try parameters.validate()
        return nil
    } catch {
        return error
    }
}

/// The error `JSONParser.parse(text)` throws, or nil when it parses.
func jsonError(_ text: String) -> JSONParser.Error? {
    do throws(JSONParser.Error) {
        _ = try JSONParser.parse(text)
        return nil
    } catch {
        return error
    }
}

/// Everything `dump` writes for `value`.
func dumped(_ value: some Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
