import HTTPTypes
import Hummingbird

extension Router where Context: ServiceContext {
    /// For every path that has routes, answers the other common methods with 405 and an `Allow` header
    /// (the router alone would answer 404). Call it after every route is registered.
    package func addMethodNotAllowedRoutes() {
        var routesByPath: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            routesByPath[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        let common: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        for (_, entry) in routesByPath {
            let allowed =
                common.filter { entry.methods.contains($0) }
                + entry.methods.filter { !common.contains($0) }
                .sorted { $0.rawValue < $1.rawValue }
            for method in common where !entry.methods.contains(method) {
                on(entry.path, method: method) { _, _ -> Response in
                    throw APIError.methodNotAllowed(allowed: allowed)
                }
            }
        }
    }
}
