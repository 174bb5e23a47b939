"""What both servers share: settings, the gRPC server factory, interceptors, health, errors, logging."""
