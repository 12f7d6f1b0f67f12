// ClientKit users get the call API and the typed stubs with one import.
@_exported import Generated
@_exported import RPCCore
