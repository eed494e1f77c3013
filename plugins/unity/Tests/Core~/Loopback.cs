using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>Loopback TCP pieces the ZMTP and serve tests share: a free port for a service to bind, and a
    /// scripted peer for what a real ZeroMQ socket cannot be made to do.</summary>
    public static class Loopback
    {
        /// <summary>A port nothing listens on right now (the OS picks it; released before returning).</summary>
        public static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int p = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return p;
        }
    }

    /// <summary>A TCP server on a free loopback port that accepts one connection and runs a script on it on
    /// its own thread. What the script throws (the client hanging up first, as a rejected peer does) is
    /// kept in Error rather than ending the test run. Dispose stops listening.</summary>
    public sealed class OneConnectionServer : IDisposable
    {
        readonly TcpListener _listener;
        readonly Thread _thread;

        public readonly int Port;
        public volatile Exception Error;

        public OneConnectionServer(Action<Socket> script)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _thread = new Thread(() =>
            {
                try
                {
                    using (var s = _listener.AcceptSocket()) script(s);
                }
                catch (Exception e) { Error = e; }
            });
            _thread.Start();
        }

        public string Endpoint { get { return "tcp://127.0.0.1:" + Port; } }

        public void Join() { _thread.Join(); }

        public bool Join(int timeoutMs) { return _thread.Join(timeoutMs); }

        public void Dispose() { _listener.Stop(); }
    }
}
