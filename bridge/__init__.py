"""facecast.bridge: everything that leaves the process (wire format, ZeroMQ, virtual camera, VMC,
VTube Studio, browser overlay). May import facecast.runtime's records; runtime never imports this."""
