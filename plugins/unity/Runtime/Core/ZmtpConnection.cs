using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Facecast
{
    /// <summary>The connection closed or failed; the owning socket reconnects.</summary>
    public class ZmtpClosedException : IOException
    {
        public ZmtpClosedException(string message) : base(message) { }
        public ZmtpClosedException(string message, Exception inner) : base(message, inner) { }
    }

    /// <summary>One ZMTP 3.1 connection over TCP with the NULL mechanism (RFC 37): greeting, READY
    /// handshake with Socket-Type and Identity, short/long frames with MORE, and the PING/PONG
    /// heartbeat. Blocking I/O: one reader thread calls ReadMessage, any thread may Send.</summary>
    public sealed class ZmtpConnection : IDisposable
    {
        const byte FlagMore = 0x01, FlagLong = 0x02, FlagCommand = 0x04;

        readonly Socket _sock;
        readonly object _sendLock = new object();
        readonly byte[] _head = new byte[9];
        readonly byte[] _sendHead = new byte[9];
        readonly long _maxFrame;
        byte[] _cmd = new byte[64];

        public string PeerSocketType { get; private set; }
        public byte[] PeerIdentity { get; private set; }
        public int PeerMinorVersion { get; private set; }
        /// <summary>Environment.TickCount of the last bytes received (heartbeat bookkeeping).</summary>
        public int LastReceiveTick { get; private set; }
        public int PingsAnswered { get; private set; }
        public int PongsReceived { get; private set; }

        ZmtpConnection(Socket s, long maxFrame)
        {
            _sock = s;
            _maxFrame = maxFrame;
            LastReceiveTick = Environment.TickCount;
        }

        /// <summary>Connects and completes the handshake, or throws within about timeoutMs.</summary>
        public static ZmtpConnection Connect(ZmtpEndpoint ep, string socketType, byte[] identity, int timeoutMs, long maxFrameBytes)
        {
            IPAddress addr = ep.Resolve();
            var s = new Socket(addr.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.NoDelay = true;
            var conn = new ZmtpConnection(s, maxFrameBytes);
            try
            {
                IAsyncResult ar = s.BeginConnect(new IPEndPoint(addr, ep.Port), null, null);
                if (!ar.AsyncWaitHandle.WaitOne(timeoutMs))
                    throw new ZmtpClosedException("connecting to " + ep + " timed out after " + timeoutMs + " ms");
                s.EndConnect(ar);
                s.ReceiveTimeout = timeoutMs;
                s.SendTimeout = timeoutMs;
                conn.Handshake(socketType, identity, ep);
                return conn;
            }
            catch (SocketException e)
            {
                conn.Dispose();
                throw new ZmtpClosedException("cannot connect to " + ep + ": " + e.Message, e);
            }
            catch
            {
                conn.Dispose();
                throw;
            }
        }

        /// <summary>Time limit for a message that has started arriving, after the handshake.</summary>
        public int ReceiveTimeoutMs { set { _sock.ReceiveTimeout = value; } }

        void Handshake(string socketType, byte[] identity, ZmtpEndpoint ep)
        {
            var greeting = new byte[64];
            greeting[0] = 0xff;
            greeting[9] = 0x7f;
            greeting[10] = 3; // major
            greeting[11] = 1; // minor
            Encoding.ASCII.GetBytes("NULL", 0, 4, greeting, 12);
            greeting[32] = 0; // as-server: a client
            SendRaw(greeting, 0, 64);

            var peer = new byte[64];
            try
            {
                ReadExact(peer, 0, 10);
                if (peer[0] != 0xff || peer[9] != 0x7f)
                    throw new FacecastProtocolException(ep + " is not a ZeroMQ (ZMTP 3) endpoint: bad greeting signature");
                ReadExact(peer, 10, 54);
            }
            catch (ZmtpClosedException e)
            {
                // libzmq hangs up without a word when our mechanism (NULL) is not the one it requires.
                throw new ZmtpClosedException(ep + " closed the connection during the ZMTP greeting: it probably requires " +
                    "CurveZMQ (a runtime bound beyond loopback); this client speaks only the NULL mechanism, so connect on " +
                    "the runtime's machine or through an SSH tunnel (" + e.Message + ")", e);
            }
            catch (FacecastProtocolException e) { throw new ZmtpClosedException(e.Message, e); }
            if (peer[10] < 3)
                throw new ZmtpClosedException(ep + " speaks ZMTP " + peer[10] + "." + peer[11] + "; 3.0 or later is needed");
            PeerMinorVersion = peer[10] > 3 ? 255 : peer[11];
            string mechanism = Encoding.ASCII.GetString(peer, 12, 20).TrimEnd('\0');
            if (mechanism != "NULL")
                throw new ZmtpClosedException(ep + " asks for the " + mechanism + " security mechanism; this client speaks only NULL (loopback). Use CurveZMQ-capable clients for remote servers.");

            // READY with our properties.
            var body = new MemoryStream();
            WriteShortString(body, "READY");
            WriteProperty(body, "Socket-Type", Encoding.ASCII.GetBytes(socketType));
            WriteProperty(body, "Identity", identity ?? new byte[0]);
            byte[] ready = body.ToArray();
            SendFrame(FlagCommand, ready, 0, ready.Length);

            // The peer's READY (or ERROR).
            byte flags;
            int len = ReadFrameInto(ref _cmd, out flags);
            if ((flags & FlagCommand) == 0) throw new ZmtpClosedException(ep + ": expected a READY command, got a message");
            string name = CommandName(_cmd, len);
            if (name == "ERROR")
            {
                int rl = len > 6 ? _cmd[6] : 0;
                string reason = Encoding.ASCII.GetString(_cmd, 7, Math.Min(rl, len - 7));
                throw new ZmtpClosedException(ep + " refused the handshake: " + reason);
            }
            if (name != "READY") throw new ZmtpClosedException(ep + ": expected READY, got " + name);
            ParseProperties(_cmd, 6, len);
            if (!Compatible(socketType, PeerSocketType))
                throw new ZmtpClosedException(ep + " is a " + (PeerSocketType ?? "?") + " socket; a " + socketType + " cannot talk to it");
        }

        static bool Compatible(string mine, string peer)
        {
            switch (mine)
            {
                case "DEALER": return peer == "ROUTER" || peer == "DEALER";
                case "SUB": return peer == "PUB" || peer == "XPUB";
                default: return true;
            }
        }

        static void WriteShortString(Stream s, string str)
        {
            byte[] b = Encoding.ASCII.GetBytes(str);
            s.WriteByte((byte)b.Length);
            s.Write(b, 0, b.Length);
        }

        static void WriteProperty(Stream s, string name, byte[] value)
        {
            WriteShortString(s, name);
            int n = value.Length;
            s.WriteByte((byte)(n >> 24)); s.WriteByte((byte)(n >> 16)); s.WriteByte((byte)(n >> 8)); s.WriteByte((byte)n);
            s.Write(value, 0, n);
        }

        static string CommandName(byte[] b, int len)
        {
            if (len < 1 || b[0] + 1 > len) throw new FacecastProtocolException("ZMTP: command frame too short for its name");
            return Encoding.ASCII.GetString(b, 1, b[0]);
        }

        void ParseProperties(byte[] b, int pos, int end)
        {
            while (pos < end)
            {
                int nl = b[pos];
                if (pos + 1 + nl + 4 > end) throw new FacecastProtocolException("ZMTP: truncated property in READY");
                string name = Encoding.ASCII.GetString(b, pos + 1, nl);
                pos += 1 + nl;
                long vl = ((long)b[pos] << 24) | ((long)b[pos + 1] << 16) | ((long)b[pos + 2] << 8) | b[pos + 3];
                pos += 4;
                if (pos + vl > end) throw new FacecastProtocolException("ZMTP: property " + name + " runs past the READY command");
                if (string.Equals(name, "Socket-Type", StringComparison.OrdinalIgnoreCase))
                    PeerSocketType = Encoding.ASCII.GetString(b, pos, (int)vl);
                else if (string.Equals(name, "Identity", StringComparison.OrdinalIgnoreCase))
                {
                    PeerIdentity = new byte[vl];
                    Buffer.BlockCopy(b, pos, PeerIdentity, 0, (int)vl);
                }
                pos += (int)vl;
            }
        }

        /// <summary>True when data is waiting within the given time (the reader polls so it can do
        /// housekeeping between messages instead of blocking forever).</summary>
        public bool Poll(int microseconds) { return _sock.Poll(microseconds, SelectMode.SelectRead); }

        /// <summary>Reads one whole message into msg and returns true, or handles one command between
        /// messages (answering PING) and returns false, so an idle reader never blocks past its poll.</summary>
        public bool ReadMessage(ZmtpMessage msg)
        {
            msg.Clear();
            while (true)
            {
                ReadExact(_head, 0, 1);
                byte flags = _head[0];
                if ((flags & 0xf8) != 0) throw new FacecastProtocolException("ZMTP: reserved flag bits set (0x" + flags.ToString("x2") + ")");
                long size = ReadSize(flags);
                if ((flags & FlagCommand) != 0)
                {
                    if ((flags & FlagMore) != 0) throw new FacecastProtocolException("ZMTP: a command frame has the MORE flag");
                    if (size > 1 << 20) throw new FacecastProtocolException("ZMTP: command of " + size + " bytes is too large");
                    if (_cmd.Length < size) _cmd = new byte[size];
                    ReadExact(_cmd, 0, (int)size);
                    HandleCommand((int)size);
                    if (msg.Count == 0) return false;
                    continue;
                }
                byte[] buf = msg.Append((int)size);
                ReadExact(buf, 0, (int)size);
                if ((flags & FlagMore) == 0) return true;
            }
        }

        long ReadSize(byte flags)
        {
            if ((flags & FlagLong) == 0)
            {
                ReadExact(_head, 1, 1);
                return _head[1];
            }
            ReadExact(_head, 1, 8);
            long size = 0;
            for (int i = 1; i <= 8; i++) size = (size << 8) | _head[i];
            if (size < 0 || size > _maxFrame)
                throw new FacecastProtocolException("ZMTP: frame of " + (ulong)size + " bytes is over the " + _maxFrame + "-byte limit");
            return size;
        }

        int ReadFrameInto(ref byte[] buf, out byte flags)
        {
            ReadExact(_head, 0, 1);
            flags = _head[0];
            long size = ReadSize(flags);
            if (size > 1 << 20) throw new FacecastProtocolException("ZMTP: handshake frame of " + size + " bytes is too large");
            if (buf.Length < size) buf = new byte[size];
            ReadExact(buf, 0, (int)size);
            return (int)size;
        }

        void HandleCommand(int len)
        {
            string name = CommandName(_cmd, len);
            if (name == "PING")
            {
                // PING: name, TTL (2 bytes), context (0..16 bytes) -> PONG echoes the context.
                int ctxOff = 1 + 4 + 2;
                int ctxLen = Math.Max(0, Math.Min(16, len - ctxOff));
                var pong = new byte[5 + ctxLen];
                pong[0] = 4;
                Encoding.ASCII.GetBytes("PONG", 0, 4, pong, 1);
                if (ctxLen > 0) Buffer.BlockCopy(_cmd, ctxOff, pong, 5, ctxLen);
                SendFrame(FlagCommand, pong, 0, pong.Length);
                PingsAnswered++;
            }
            else if (name == "PONG") PongsReceived++;
            else if (name == "ERROR")
            {
                int rl = len > 6 ? _cmd[6] : 0;
                throw new ZmtpClosedException("peer sent ERROR: " + Encoding.ASCII.GetString(_cmd, 7, Math.Max(0, Math.Min(rl, len - 7))));
            }
            // Anything else (SUBSCRIBE/CANCEL echoes, future commands) is ignored, as RFC 37 allows.
        }

        static readonly byte[] PingBody = MakePing();

        static byte[] MakePing()
        {
            var b = new byte[7];
            b[0] = 4;
            Encoding.ASCII.GetBytes("PING", 0, 4, b, 1);
            b[5] = 0; b[6] = 0; // TTL 0: the peer keeps its own timeout
            return b;
        }

        /// <summary>Sends a PING; the peer's PONG (or any data) proves it is alive.</summary>
        public void SendPing() { SendFrame(FlagCommand, PingBody, 0, PingBody.Length); }

        /// <summary>Sends a command frame (e.g. SUBSCRIBE with its data).</summary>
        public void SendCommand(string name, byte[] data, int offset, int count)
        {
            var b = new byte[1 + name.Length + count];
            b[0] = (byte)name.Length;
            Encoding.ASCII.GetBytes(name, 0, name.Length, b, 1);
            Buffer.BlockCopy(data, offset, b, 1 + name.Length, count);
            SendFrame(FlagCommand, b, 0, b.Length);
        }

        /// <summary>Sends the parts as one multipart message (atomically with respect to other senders).</summary>
        public void Send(IList<ArraySegment<byte>> parts)
        {
            lock (_sendLock)
            {
                for (int i = 0; i < parts.Count; i++)
                {
                    var p = parts[i];
                    SendFrameLocked(i < parts.Count - 1 ? FlagMore : (byte)0, p.Array, p.Offset, p.Count);
                }
            }
        }

        void SendFrame(byte flags, byte[] data, int offset, int count)
        {
            lock (_sendLock) SendFrameLocked(flags, data, offset, count);
        }

        void SendFrameLocked(byte flags, byte[] data, int offset, int count)
        {
            int h;
            if (count <= 255)
            {
                _sendHead[0] = flags;
                _sendHead[1] = (byte)count;
                h = 2;
            }
            else
            {
                _sendHead[0] = (byte)(flags | FlagLong);
                ulong n = (ulong)count;
                for (int i = 8; i >= 1; i--) { _sendHead[i] = (byte)n; n >>= 8; }
                h = 9;
            }
            SendRaw(_sendHead, 0, h);
            if (count > 0) SendRaw(data, offset, count);
        }

        void SendRaw(byte[] b, int off, int n)
        {
            try
            {
                while (n > 0)
                {
                    int k = _sock.Send(b, off, n, SocketFlags.None);
                    if (k <= 0) throw new ZmtpClosedException("connection closed while sending");
                    off += k;
                    n -= k;
                }
            }
            catch (SocketException e) { throw new ZmtpClosedException("send failed: " + e.Message, e); }
            catch (ObjectDisposedException e) { throw new ZmtpClosedException("connection closed", e); }
        }

        void ReadExact(byte[] b, int off, int n)
        {
            try
            {
                while (n > 0)
                {
                    int k = _sock.Receive(b, off, n, SocketFlags.None);
                    if (k <= 0) throw new ZmtpClosedException("the peer closed the connection");
                    off += k;
                    n -= k;
                    LastReceiveTick = Environment.TickCount;
                }
            }
            catch (SocketException e) { throw new ZmtpClosedException("receive failed: " + e.Message, e); }
            catch (ObjectDisposedException e) { throw new ZmtpClosedException("connection closed", e); }
        }

        public void Dispose()
        {
            try { _sock.Shutdown(SocketShutdown.Both); } catch (Exception) { }
            _sock.Close();
        }
    }

    /// <summary>A "tcp://host:port" endpoint to connect to.</summary>
    public sealed class ZmtpEndpoint
    {
        public readonly string Host;
        public readonly int Port;

        public ZmtpEndpoint(string host, int port) { Host = host; Port = port; }

        public static ZmtpEndpoint Parse(string endpoint)
        {
            const string prefix = "tcp://";
            if (endpoint == null || !endpoint.StartsWith(prefix, StringComparison.Ordinal))
                throw new ArgumentException("endpoint '" + endpoint + "' must look like tcp://127.0.0.1:5555");
            string rest = endpoint.Substring(prefix.Length);
            int colon = rest.LastIndexOf(':');
            int port;
            if (colon <= 0 || !int.TryParse(rest.Substring(colon + 1), out port) || port <= 0 || port > 65535)
                throw new ArgumentException("endpoint '" + endpoint + "' needs a host and a port 1..65535, e.g. tcp://127.0.0.1:5555");
            string host = rest.Substring(0, colon).Trim('[', ']');
            if (host == "*") throw new ArgumentException("endpoint '" + endpoint + "': '*' is for binding; connect to a host such as 127.0.0.1");
            return new ZmtpEndpoint(host, port);
        }

        /// <summary>The address to connect to, IPv4 first (the server binds 127.0.0.1 by default).</summary>
        public IPAddress Resolve()
        {
            IPAddress a;
            if (IPAddress.TryParse(Host, out a)) return a;
            IPAddress[] all;
            try { all = Dns.GetHostAddresses(Host); }
            catch (SocketException e) { throw new ZmtpClosedException("cannot resolve host '" + Host + "': " + e.Message, e); }
            foreach (var x in all) if (x.AddressFamily == AddressFamily.InterNetwork) return x;
            if (all.Length > 0) return all[0];
            throw new ZmtpClosedException("host '" + Host + "' has no address");
        }

        public override string ToString() { return "tcp://" + Host + ":" + Port; }
    }
}
