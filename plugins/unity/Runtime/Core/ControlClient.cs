using System;
using System.Collections.Generic;
using System.Threading;

namespace Facecast
{
    /// <summary>A control reply: ok with fields, or an error with a stable code (docs/protocol.md).</summary>
    public sealed class ControlReply
    {
        public static readonly string[] KnownCodes =
        {
            "malformed", "too_large", "unsupported_version", "unknown_op", "unknown_session", "bad_argument",
            "no_face", "bad_image", "bad_audio", "busy", "internal",
            "timeout", "disconnected", // raised by this client, never sent by the server
        };

        public long Id;
        public bool Ok;
        public Dictionary<string, object> Fields;
        public string ErrorCode;
        public string ErrorMessage;

        public static ControlReply Decode(byte[] data, int offset, int count)
        {
            var m = MsgPackReader.Decode(data, offset, count) as Dictionary<string, object>;
            if (m == null) throw new FacecastProtocolException("a control reply is not a msgpack map");
            long v = WireMaps.Int(m, "v", -1);
            if (v != WireDecoder.ProtocolVersion) throw new FacecastProtocolException("control reply has protocol version " + v);
            object ok;
            if (!m.TryGetValue("ok", out ok) || !(ok is bool)) throw new FacecastProtocolException("control reply has no boolean 'ok'");
            var r = new ControlReply { Id = WireMaps.Int(m, "id", -1), Ok = (bool)ok, Fields = m };
            if (!r.Ok)
            {
                var err = WireMaps.Map(m, "error");
                string code = err != null ? WireMaps.Str(err, "code", "internal") : "internal";
                r.ErrorCode = Array.IndexOf(KnownCodes, code) >= 0 ? code : "internal";
                r.ErrorMessage = err != null ? WireMaps.Str(err, "message", "") : "";
            }
            return r;
        }

        public static ControlReply Failure(long id, string code, string message)
        {
            return new ControlReply { Id = id, Ok = false, ErrorCode = code, ErrorMessage = message, Fields = new Dictionary<string, object>() };
        }

        public string Str(string key) { return WireMaps.Str(Fields, key, null); }
        public double Num(string key, double fallback = 0) { return WireMaps.Num(Fields, key, fallback); }

        public override string ToString() { return Ok ? "ok" : ErrorCode + ": " + ErrorMessage; }
    }

    /// <summary>A failed control request, with the server's (or this client's) error code.</summary>
    public class FacecastControlException : Exception
    {
        public readonly string Code;

        public FacecastControlException(string code, string message) : base(message) { Code = code; }
    }

    /// <summary>The control connection: a DEALER that numbers requests and matches replies by id (they
    /// may come out of order), with a timeout per request. Request blocks the caller; Send calls back
    /// on the receive thread (marshal to your main thread).</summary>
    public sealed class ControlClient : IDisposable
    {
        sealed class Pending
        {
            public long Id;
            public int Deadline;
            public Action<ControlReply> Callback;
            public ControlReply Reply;
            public ManualResetEvent Done;
        }

        readonly ZmtpSocket _socket;
        readonly Dictionary<long, Pending> _pending = new Dictionary<long, Pending>();
        readonly List<Pending> _expired = new List<Pending>();
        readonly object _lock = new object();
        readonly MsgPackWriter _writer = new MsgPackWriter(1024);
        readonly ArraySegment<byte>[] _parts1 = new ArraySegment<byte>[1];
        readonly ArraySegment<byte>[] _parts2 = new ArraySegment<byte>[2];
        long _nextId;

        public int DefaultTimeoutMs = 10000;
        /// <summary>Replies that matched no pending request (late after a timeout), for diagnostics.</summary>
        public int UnmatchedReplies;
        /// <summary>Raised on the receive thread for a reply that cannot be decoded.</summary>
        public Action<Exception> OnProtocolError;

        public ControlClient(string endpoint, ZmtpOptions options = null)
        {
            _socket = new ZmtpSocket(ZmtpSocket.SocketKind.Dealer, endpoint, options);
            _socket.OnMessage = HandleMessage;
            _socket.OnTick = ExpireRequests;
            _socket.OnConnectionChanged = up => { if (!up) FailAll("disconnected", "the connection to " + _socket.Endpoint + " was lost"); };
            _socket.Start();
        }

        public ZmtpSocket Socket { get { return _socket; } }
        public bool IsConnected { get { return _socket.IsConnected; } }

        /// <summary>Sends a request (fields without v and id, which are added) and calls back with the
        /// reply, a timeout or a disconnect, on the receive thread. Returns the request id.</summary>
        public long Send(IDictionary<string, object> fields, byte[] payload, int payloadOffset, int payloadCount,
            Action<ControlReply> callback, int timeoutMs = -1)
        {
            return Start(fields, payload, payloadOffset, payloadCount, callback, null, timeoutMs).Id;
        }

        /// <summary>Sends a request and waits for its reply (at most timeoutMs; -1: DefaultTimeoutMs).
        /// Throws FacecastControlException when the reply is an error, times out or the link drops.</summary>
        public ControlReply Request(IDictionary<string, object> fields, byte[] payload = null, int timeoutMs = -1)
        {
            using (var done = new ManualResetEvent(false))
            {
                int t = timeoutMs < 0 ? DefaultTimeoutMs : timeoutMs;
                int start = Environment.TickCount;
                // Wait for the link first, within the same time budget (the first call after Start).
                _socket.WaitConnected(t);
                int left = Math.Max(1, t - (Environment.TickCount - start));
                var p = Start(fields, payload, 0, payload != null ? payload.Length : 0, null, done, left);
                done.WaitOne(left + 500);
                ControlReply r;
                lock (_lock)
                {
                    r = p.Reply;
                    if (r == null)
                    {
                        _pending.Remove(p.Id);
                        r = ControlReply.Failure(p.Id, "timeout", Describe(fields) + " got no reply within " + t + " ms");
                    }
                }
                if (!r.Ok) throw new FacecastControlException(r.ErrorCode, Describe(fields) + " failed: " + r.ErrorCode + ": " + r.ErrorMessage);
                return r;
            }
        }

        static string Describe(IDictionary<string, object> fields)
        {
            object op;
            return "'" + (fields.TryGetValue("op", out op) ? op : "?") + "'";
        }

        Pending Start(IDictionary<string, object> fields, byte[] payload, int off, int count,
            Action<ControlReply> callback, ManualResetEvent done, int timeoutMs)
        {
            if (!fields.ContainsKey("op")) throw new ArgumentException("a request needs an 'op'");
            var p = new Pending
            {
                Id = Interlocked.Increment(ref _nextId),
                Deadline = Environment.TickCount + (timeoutMs < 0 ? DefaultTimeoutMs : timeoutMs),
                Callback = callback,
                Done = done,
            };
            bool sendFailed = false;
            lock (_lock)
            {
                _pending[p.Id] = p;
                _writer.Clear();
                _writer.WriteMapHeader(fields.Count + 2 - (fields.ContainsKey("v") ? 1 : 0) - (fields.ContainsKey("id") ? 1 : 0));
                _writer.Write("v"); _writer.Write(WireDecoder.ProtocolVersion);
                _writer.Write("id"); _writer.Write(p.Id);
                foreach (var kv in fields)
                {
                    if (kv.Key == "v" || kv.Key == "id") continue;
                    _writer.Write(kv.Key);
                    _writer.WriteObject(kv.Value);
                }
                try
                {
                    if (payload == null)
                    {
                        _parts1[0] = new ArraySegment<byte>(_writer.Buffer, 0, _writer.Length);
                        _socket.Send(_parts1);
                    }
                    else
                    {
                        _parts2[0] = new ArraySegment<byte>(_writer.Buffer, 0, _writer.Length);
                        _parts2[1] = new ArraySegment<byte>(payload, off, count);
                        _socket.Send(_parts2);
                    }
                }
                catch (ZmtpClosedException e)
                {
                    _pending.Remove(p.Id);
                    p.Reply = ControlReply.Failure(p.Id, "disconnected", e.Message);
                    sendFailed = true;
                }
            }
            // Only a failed send completes here: a reply may already have completed it on the
            // receive thread (loopback answers fast), and a request completes exactly once.
            if (sendFailed) Complete(p);
            return p;
        }

        void HandleMessage(ZmtpMessage m)
        {
            ControlReply r;
            try { r = ControlReply.Decode(m.Data(m.Count - 1), 0, m.Length(m.Count - 1)); }
            catch (FacecastProtocolException e)
            {
                var h = OnProtocolError;
                if (h != null) h(e);
                return;
            }
            Pending p;
            lock (_lock)
            {
                if (!_pending.TryGetValue(r.Id, out p)) { UnmatchedReplies++; return; }
                _pending.Remove(r.Id);
                p.Reply = r;
            }
            Complete(p);
        }

        static void Complete(Pending p)
        {
            if (p.Done != null)
            {
                // A waiter that just timed out may have disposed its event already.
                try { p.Done.Set(); } catch (ObjectDisposedException) { }
            }
            if (p.Callback != null)
            {
                try { p.Callback(p.Reply); } catch (Exception) { }
            }
        }

        void ExpireRequests()
        {
            int now = Environment.TickCount;
            lock (_lock)
            {
                if (_pending.Count == 0) return;
                foreach (var p in _pending.Values)
                    if (p.Callback != null && now - p.Deadline > 0) _expired.Add(p);
                foreach (var p in _expired)
                {
                    _pending.Remove(p.Id);
                    p.Reply = ControlReply.Failure(p.Id, "timeout", "no reply to request " + p.Id + " in time");
                }
            }
            foreach (var p in _expired) Complete(p);
            _expired.Clear();
        }

        void FailAll(string code, string message)
        {
            var failed = new List<Pending>();
            lock (_lock)
            {
                foreach (var p in _pending.Values)
                {
                    p.Reply = ControlReply.Failure(p.Id, code, message);
                    failed.Add(p);
                }
                _pending.Clear();
            }
            foreach (var p in failed) Complete(p);
        }

        public void Dispose()
        {
            _socket.Dispose();
            FailAll("disconnected", "the client was closed");
        }
    }
}
