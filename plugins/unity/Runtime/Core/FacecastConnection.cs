using System;
using System.Collections.Generic;
using System.Text;

namespace Facecast
{
    /// <summary>One runtime connection: control (DEALER) plus data (SUB), shared by every session that
    /// talks to the same endpoints, so a hundred NPCs cost two sockets and one receive thread for data.
    /// The data thread decodes frames and poses straight into each session's mailboxes; nothing here
    /// touches an engine object.</summary>
    public sealed class FacecastConnection : IDisposable
    {
        static readonly Dictionary<string, FacecastConnection> Pool = new Dictionary<string, FacecastConnection>();

        static FacecastConnection()
        {
            // The Unity editor reloads scripts by unloading the domain: stop the receive threads first.
            AppDomain.CurrentDomain.DomainUnload += (s, e) => CloseAll();
        }

        /// <summary>Closes every shared connection (their sessions stay open on the runtime).</summary>
        public static void CloseAll()
        {
            List<FacecastConnection> all;
            lock (Pool)
            {
                all = new List<FacecastConnection>(Pool.Values);
                Pool.Clear();
            }
            foreach (var c in all) c.Dispose();
        }

        readonly string _key;
        int _refs;
        readonly object _lock = new object();
        SessionChannel[] _channels = new SessionChannel[0];
        readonly MsgPackReader _reader = new MsgPackReader();
        readonly FrameHeader _frameHeader = new FrameHeader();
        static readonly byte[] FramePrefix = Encoding.ASCII.GetBytes("frame/");
        static readonly byte[] PosePrefix = Encoding.ASCII.GetBytes("pose/");
        static readonly byte[] StatusTopic = Encoding.ASCII.GetBytes("status");
        volatile StatusMessage _status;
        volatile string _lastDataError;
        long _dataErrors;

        public readonly ControlClient Control;
        public readonly ZmtpSocket Data;

        /// <summary>Raised on the data thread for each status message (about once a second).</summary>
        public Action<StatusMessage> OnStatus;

        public FacecastConnection(string controlEndpoint, string dataEndpoint, ZmtpOptions options = null)
        {
            _key = controlEndpoint + "|" + dataEndpoint;
            Control = new ControlClient(controlEndpoint, options);
            Data = new ZmtpSocket(ZmtpSocket.SocketKind.Sub, dataEndpoint, options);
            Data.OnMessage = HandleData;
            Data.Subscribe(StatusTopic);
            Data.Start();
        }

        /// <summary>The shared connection for these endpoints (created on first use); pair with Release.</summary>
        public static FacecastConnection Acquire(string controlEndpoint, string dataEndpoint)
        {
            lock (Pool)
            {
                string key = controlEndpoint + "|" + dataEndpoint;
                FacecastConnection c;
                if (!Pool.TryGetValue(key, out c))
                {
                    c = new FacecastConnection(controlEndpoint, dataEndpoint);
                    Pool[key] = c;
                }
                c._refs++;
                return c;
            }
        }

        /// <summary>Drops one Acquire; the last one closes the sockets.</summary>
        public void Release()
        {
            lock (Pool)
            {
                if (--_refs > 0) return;
                FacecastConnection c;
                if (Pool.TryGetValue(_key, out c) && c == this) Pool.Remove(_key);
            }
            Dispose();
        }

        public StatusMessage LatestStatus { get { return _status; } }
        public long DataErrors { get { return System.Threading.Interlocked.Read(ref _dataErrors); } }
        public string LastDataError { get { return _lastDataError; } }

        /// <summary>Starts receiving one session's poses (and frames when wanted).</summary>
        public SessionChannel Attach(string session, bool frames)
        {
            var ch = new SessionChannel(session, frames);
            lock (_lock)
            {
                var a = new SessionChannel[_channels.Length + 1];
                Array.Copy(_channels, a, _channels.Length);
                a[_channels.Length] = ch;
                _channels = a; // copy-on-write: the data thread reads the array without locking
            }
            Data.Subscribe(ch.PoseTopic);
            if (frames) Data.Subscribe(ch.FrameTopic);
            return ch;
        }

        public void Detach(SessionChannel ch)
        {
            lock (_lock)
            {
                int i = Array.IndexOf(_channels, ch);
                if (i < 0) return;
                var a = new SessionChannel[_channels.Length - 1];
                Array.Copy(_channels, 0, a, 0, i);
                Array.Copy(_channels, i + 1, a, i, _channels.Length - i - 1);
                _channels = a;
            }
            Data.Unsubscribe(ch.PoseTopic);
            if (ch.WantsFrames) Data.Unsubscribe(ch.FrameTopic);
        }

        void HandleData(ZmtpMessage m)
        {
            try
            {
                if (m.StartsWith(0, FramePrefix)) HandleFrame(m);
                else if (m.StartsWith(0, PosePrefix)) HandlePose(m);
                else if (m.Count == 2 && m.Length(0) == StatusTopic.Length && m.StartsWith(0, StatusTopic))
                {
                    var s = WireDecoder.DecodeStatus(m.Data(1), 0, m.Length(1));
                    _status = s;
                    var h = OnStatus;
                    if (h != null) h(s);
                }
            }
            catch (FacecastProtocolException e)
            {
                // One bad message costs that message only.
                System.Threading.Interlocked.Increment(ref _dataErrors);
                _lastDataError = e.Message;
            }
        }

        SessionChannel Find(ZmtpMessage m, bool frame)
        {
            var chans = _channels;
            for (int i = 0; i < chans.Length; i++)
            {
                byte[] topic = frame ? chans[i].FrameTopic : chans[i].PoseTopic;
                if (m.Length(0) == topic.Length && m.StartsWith(0, topic)) return chans[i];
            }
            return null;
        }

        void HandleFrame(ZmtpMessage m)
        {
            if (m.Count != 3) throw new FacecastProtocolException("a frame message has 3 parts, got " + m.Count);
            SessionChannel ch = Find(m, true);
            if (ch == null || !ch.WantsFrames) return;
            WireDecoder.DecodeFrameHeader(m.Data(1), 0, m.Length(1), _reader, _frameHeader);
            ch.Frames.Write(_frameHeader, m.Data(2), 0, m.Length(2));
            ch.CountFrame(_frameHeader.Seq);
        }

        void HandlePose(ZmtpMessage m)
        {
            if (m.Count != 2) throw new FacecastProtocolException("a pose message has 2 parts, got " + m.Count);
            SessionChannel ch = Find(m, false);
            if (ch == null) return;
            WireDecoder.DecodePose(m.Data(1), 0, m.Length(1), _reader, ch.Poses.Back);
            var every = ch.OnPose;
            if (every != null) every(ch.Poses.Back);
            ch.Poses.Publish();
            ch.CountPose();
        }

        public void Dispose()
        {
            Data.Dispose();
            Control.Dispose();
        }
    }
}
