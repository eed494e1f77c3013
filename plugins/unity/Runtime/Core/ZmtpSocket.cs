using System;
using System.Collections.Generic;
using System.Threading;

namespace Facecast
{
    /// <summary>Settings of a ZmtpSocket. Defaults suit a runtime on the same machine.</summary>
    public sealed class ZmtpOptions
    {
        public int ConnectTimeoutMs = 2000;
        /// <summary>First wait after a failed connect; doubles up to ReconnectMaxMs.</summary>
        public int ReconnectMinMs = 100;
        public int ReconnectMaxMs = 2000;
        /// <summary>Send a PING after this long without traffic (0: never).</summary>
        public int HeartbeatIntervalMs = 1000;
        /// <summary>Reconnect after this long without any bytes from the peer (0: never).</summary>
        public int HeartbeatTimeoutMs = 5000;
        /// <summary>Longest time a started message may take to arrive.</summary>
        public int MessageTimeoutMs = 10000;
        public int PollIntervalMs = 50;
        public long MaxFrameBytes = 64L * 1024 * 1024;
        public byte[] Identity;
    }

    /// <summary>A client ZeroMQ socket over one reconnecting TCP connection: DEALER (control) or SUB
    /// (data). A background thread connects, handshakes, reads messages and hands them to OnMessage
    /// on that thread; after any failure it waits (backoff 100 ms doubling to 2 s) and reconnects, and
    /// a SUB re-sends its subscriptions. Send may be called from any thread.</summary>
    public sealed class ZmtpSocket : IDisposable
    {
        public enum SocketKind { Dealer, Sub }

        readonly SocketKind _kind;
        readonly ZmtpEndpoint _endpoint;
        readonly ZmtpOptions _options;
        readonly object _lock = new object();
        readonly List<byte[]> _subscriptions = new List<byte[]>();
        readonly ManualResetEvent _stop = new ManualResetEvent(false);
        readonly ManualResetEvent _connected = new ManualResetEvent(false);
        readonly ZmtpMessage _msg = new ZmtpMessage();
        readonly ArraySegment<byte>[] _one = new ArraySegment<byte>[1];
        Thread _thread;
        ZmtpConnection _conn;
        volatile bool _disposed;
        volatile string _lastError;
        int _connects;

        /// <summary>Called on the receive thread for each message (the message is reused afterwards:
        /// copy what you keep).</summary>
        public Action<ZmtpMessage> OnMessage;
        /// <summary>Called on the receive thread between messages, every poll interval or sooner.</summary>
        public Action OnTick;
        /// <summary>Called on the receive thread when the connection comes up (true) or goes down.</summary>
        public Action<bool> OnConnectionChanged;

        public ZmtpSocket(SocketKind kind, string endpoint, ZmtpOptions options = null)
        {
            _kind = kind;
            _endpoint = ZmtpEndpoint.Parse(endpoint);
            _options = options ?? new ZmtpOptions();
        }

        public string Endpoint { get { return _endpoint.ToString(); } }
        public bool IsConnected { get { return _connected.WaitOne(0); } }
        /// <summary>Successful handshakes so far (1 + reconnects).</summary>
        public int Connects { get { return Volatile.Read(ref _connects); } }
        /// <summary>Why the last connection attempt or connection failed (null if none has).</summary>
        public string LastError { get { return _lastError; } }
        /// <summary>The current connection (for its heartbeat counters); null while disconnected.</summary>
        public ZmtpConnection Connection { get { lock (_lock) return _conn; } }

        public void Start()
        {
            if (_thread != null) return;
            _thread = new Thread(Run);
            _thread.IsBackground = true;
            _thread.Name = "facecast " + _kind.ToString().ToLowerInvariant() + " " + _endpoint;
            _thread.Start();
        }

        public bool WaitConnected(int timeoutMs) { return _connected.WaitOne(timeoutMs); }

        /// <summary>SUB only: receive messages whose first part starts with prefix.</summary>
        public void Subscribe(byte[] prefix)
        {
            if (_kind != SocketKind.Sub) throw new InvalidOperationException("only a SUB socket subscribes");
            lock (_lock)
            {
                _subscriptions.Add((byte[])prefix.Clone());
                if (_conn != null) TrySendSubscription(_conn, prefix, true);
            }
        }

        public void Unsubscribe(byte[] prefix)
        {
            lock (_lock)
            {
                for (int i = 0; i < _subscriptions.Count; i++)
                {
                    if (!SameBytes(_subscriptions[i], prefix)) continue;
                    _subscriptions.RemoveAt(i);
                    if (_conn != null) TrySendSubscription(_conn, prefix, false);
                    return;
                }
            }
        }

        static bool SameBytes(byte[] a, byte[] b) { return MsgPackReader.BytesEqual(a, 0, a.Length, b); }

        void TrySendSubscription(ZmtpConnection c, byte[] prefix, bool subscribe)
        {
            try
            {
                if (c.PeerMinorVersion >= 1) c.SendCommand(subscribe ? "SUBSCRIBE" : "CANCEL", prefix, 0, prefix.Length);
                else
                {
                    // ZMTP 3.0 peers take subscriptions as messages: 1 (or 0) then the prefix.
                    var m = new byte[prefix.Length + 1];
                    m[0] = subscribe ? (byte)1 : (byte)0;
                    Buffer.BlockCopy(prefix, 0, m, 1, prefix.Length);
                    _one[0] = new ArraySegment<byte>(m);
                    c.Send(_one);
                }
            }
            catch (ZmtpClosedException) { } // the reader notices and reconnects, then re-sends all
        }

        /// <summary>Sends one multipart message; throws ZmtpClosedException while disconnected.</summary>
        public void Send(IList<ArraySegment<byte>> parts)
        {
            ZmtpConnection c;
            lock (_lock) c = _conn;
            if (c == null)
                throw new ZmtpClosedException("not connected to " + _endpoint + (_lastError != null ? " (" + _lastError + ")" : "; is `facecast serve` running?"));
            c.Send(parts);
        }

        void Run()
        {
            int backoff = _options.ReconnectMinMs;
            string socketType = _kind == SocketKind.Dealer ? "DEALER" : "SUB";
            while (!_disposed)
            {
                ZmtpConnection c = null;
                try
                {
                    c = ZmtpConnection.Connect(_endpoint, socketType, _options.Identity, _options.ConnectTimeoutMs, _options.MaxFrameBytes);
                    c.ReceiveTimeoutMs = _options.MessageTimeoutMs;
                    lock (_lock)
                    {
                        if (_disposed) { c.Dispose(); return; }
                        _conn = c;
                        // counted before the subscriptions go out, so a peer that has seen them
                        // can rely on Connects (a test saw the old order race under load)
                        Interlocked.Increment(ref _connects);
                        foreach (var s in _subscriptions) TrySendSubscription(c, s, true);
                    }
                    _connected.Set();
                    backoff = _options.ReconnectMinMs;
                    Raise(true);
                    ReadLoop(c);
                }
                catch (Exception e)
                {
                    if (_disposed) break;
                    _lastError = e.Message;
                }
                finally
                {
                    bool wasUp = false;
                    lock (_lock)
                    {
                        if (_conn == c && c != null) { _conn = null; wasUp = true; }
                    }
                    _connected.Reset();
                    if (c != null) c.Dispose();
                    if (wasUp && !_disposed) Raise(false);
                }
                if (_stop.WaitOne(backoff)) break;
                backoff = Math.Min(backoff * 2, _options.ReconnectMaxMs);
            }
        }

        void Raise(bool up)
        {
            var h = OnConnectionChanged;
            if (h == null) return;
            try { h(up); } catch (Exception) { }
        }

        void ReadLoop(ZmtpConnection c)
        {
            int pollUs = _options.PollIntervalMs * 1000;
            int lastPing = Environment.TickCount;
            while (!_disposed)
            {
                if (c.Poll(pollUs))
                {
                    if (c.ReadMessage(_msg) && Accept(_msg))
                    {
                        var h = OnMessage;
                        // A failing handler costs its message, not the connection.
                        if (h != null)
                        {
                            try { h(_msg); }
                            catch (Exception e) { _lastError = "message handler failed: " + e.GetType().Name + ": " + e.Message; }
                        }
                    }
                }
                var tick = OnTick;
                if (tick != null) tick();
                int now = Environment.TickCount;
                int quiet = now - c.LastReceiveTick;
                if (_options.HeartbeatTimeoutMs > 0 && quiet > _options.HeartbeatTimeoutMs)
                    throw new ZmtpClosedException("no data or heartbeat from " + _endpoint + " for " + quiet + " ms");
                if (_options.HeartbeatIntervalMs > 0 && quiet > _options.HeartbeatIntervalMs && now - lastPing > _options.HeartbeatIntervalMs)
                {
                    c.SendPing();
                    lastPing = now;
                }
            }
        }

        bool Accept(ZmtpMessage m)
        {
            if (_kind != SocketKind.Sub) return true;
            if (m.Count == 0) return false;
            lock (_lock)
            {
                for (int i = 0; i < _subscriptions.Count; i++)
                    if (m.StartsWith(0, _subscriptions[i])) return true;
            }
            return false;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _stop.Set();
            ZmtpConnection c;
            lock (_lock) c = _conn;
            if (c != null) c.Dispose();
            if (_thread != null && _thread != Thread.CurrentThread) _thread.Join(2000);
        }
    }
}
