using System;
using System.Collections.Generic;

namespace Facecast
{
    public enum PixelFormat { Rgba, Bgra }

    /// <summary>A frame header (docs/protocol.md, "frame"). Reused by the receive thread.</summary>
    public sealed class FrameHeader
    {
        public string Session;
        internal byte[] SessionBytes;
        public ulong Seq;
        public double Pts;
        public int Width, Height, Stride;
        public PixelFormat Format;
    }

    /// <summary>One session entry of a status message or of the `status` reply.</summary>
    public sealed class SessionStatus
    {
        public string Session;
        /// <summary>idle, speaking, loading or error; unknown states read as idle (protocol rule).</summary>
        public string State;
        public bool PoseOnly;
        public double Fps, QueuedAudioS;
        public long Frames, Dropped;
        public string ErrorCode, ErrorMessage;

        static readonly string[] KnownStates = { "idle", "speaking", "loading", "error" };

        public static SessionStatus FromMap(Dictionary<string, object> m)
        {
            var s = new SessionStatus();
            s.Session = WireMaps.Str(m, "session", "");
            string state = WireMaps.Str(m, "state", "idle");
            s.State = Array.IndexOf(KnownStates, state) >= 0 ? state : "idle";
            s.PoseOnly = WireMaps.Bool(m, "pose_only", false);
            s.Fps = WireMaps.Num(m, "fps", 0);
            s.QueuedAudioS = WireMaps.Num(m, "queued_audio_s", 0);
            s.Frames = WireMaps.Int(m, "frames", 0);
            s.Dropped = WireMaps.Int(m, "dropped", 0);
            var err = WireMaps.Map(m, "error");
            if (err != null)
            {
                s.ErrorCode = WireMaps.Str(err, "code", "internal");
                s.ErrorMessage = WireMaps.Str(err, "message", "");
            }
            return s;
        }
    }

    /// <summary>A status message (published at least once a second).</summary>
    public sealed class StatusMessage
    {
        public double Time;
        public List<SessionStatus> Sessions = new List<SessionStatus>();
    }

    /// <summary>Decoders for the data messages. Frame and pose decode into caller-owned objects without
    /// allocating (unknown keys skipped, as the version rule asks); status allocates (once a second).</summary>
    public static class WireDecoder
    {
        public const int ProtocolVersion = 1;

        static void CheckVersion(long v, string what)
        {
            if (v != ProtocolVersion)
                throw new FacecastProtocolException(what + " has protocol version " + v + "; this package speaks v" + ProtocolVersion);
        }

        /// <summary>Reads a session string, reusing `previous` when the bytes are the same.</summary>
        static string SessionString(MsgPackReader r, string previous, ref byte[] previousBytes)
        {
            int off, len;
            int at = r.Position;
            r.ReadStringRange(out off, out len);
            if (previous != null && previousBytes != null && MsgPackReader.BytesEqual(r.Buffer, off, len, previousBytes))
                return previous;
            var bytes = new byte[len];
            Buffer.BlockCopy(r.Buffer, off, bytes, 0, len);
            previousBytes = bytes;
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        public static void DecodeFrameHeader(byte[] data, int offset, int count, MsgPackReader r, FrameHeader h)
        {
            r.Reset(data, offset, count);
            int n = r.ReadMapHeader();
            long v = -1;
            bool haveW = false, haveH = false, haveF = false, haveStride = false;
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.V)) v = r.ReadInt64();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Session)) h.Session = SessionString(r, h.Session, ref h.SessionBytes);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Seq)) h.Seq = r.ReadUInt64();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Pts)) h.Pts = r.ReadDouble();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Width)) { h.Width = r.ReadInt32(); haveW = true; }
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Height)) { h.Height = r.ReadInt32(); haveH = true; }
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Stride)) { h.Stride = r.ReadInt32(); haveStride = true; }
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Format))
                {
                    int fo, fl;
                    r.ReadStringRange(out fo, out fl);
                    if (MsgPackReader.BytesEqual(b, fo, fl, WireKeys.Rgba)) h.Format = PixelFormat.Rgba;
                    else if (MsgPackReader.BytesEqual(b, fo, fl, WireKeys.Bgra)) h.Format = PixelFormat.Bgra;
                    else throw new FacecastProtocolException("frame header: unknown pixel format '" + System.Text.Encoding.UTF8.GetString(b, fo, fl) + "' (expected RGBA or BGRA)");
                    haveF = true;
                }
                else r.Skip();
            }
            CheckVersion(v, "frame header");
            if (!haveW || !haveH || !haveF) throw new FacecastProtocolException("frame header lacks width, height or format");
            if (h.Width <= 0 || h.Height <= 0 || h.Width > 16384 || h.Height > 16384)
                throw new FacecastProtocolException("frame header: size " + h.Width + "x" + h.Height + " is out of range");
            if (!haveStride) h.Stride = h.Width * 4;
            if (h.Stride < h.Width * 4) throw new FacecastProtocolException("frame header: stride " + h.Stride + " is less than width*4 = " + h.Width * 4);
        }

        /// <summary>Decodes a pose header into (session, seq, pts) and the motion record.</summary>
        public static void DecodePose(byte[] data, int offset, int count, MsgPackReader r, PoseHeader p)
        {
            r.Reset(data, offset, count);
            int n = r.ReadMapHeader();
            long v = -1;
            bool haveMotion = false;
            for (int i = 0; i < n; i++)
            {
                int ko, kl;
                if (!r.TryReadMapKey(out ko, out kl)) continue;
                byte[] b = r.Buffer;
                if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.V)) v = r.ReadInt64();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Session)) p.Session = SessionString(r, p.Session, ref p.SessionBytes);
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Seq)) p.Seq = r.ReadUInt64();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Pts)) p.Pts = r.ReadDouble();
                else if (MsgPackReader.BytesEqual(b, ko, kl, WireKeys.Motion)) { MotionCodec.Read(r, p.Motion); haveMotion = true; }
                else r.Skip();
            }
            CheckVersion(v, "pose header");
            if (!haveMotion) throw new FacecastProtocolException("pose header has no 'motion'");
        }

        public static StatusMessage DecodeStatus(byte[] data, int offset, int count)
        {
            var m = MsgPackReader.Decode(data, offset, count) as Dictionary<string, object>;
            if (m == null) throw new FacecastProtocolException("status header is not a map");
            CheckVersion(WireMaps.Int(m, "v", -1), "status header");
            var s = new StatusMessage();
            s.Time = WireMaps.Num(m, "time", 0);
            s.Sessions = WireMaps.SessionList(m);
            return s;
        }
    }

    /// <summary>Session, seq and pts of a pose message, with its motion record.</summary>
    public sealed class PoseHeader
    {
        public string Session;
        internal byte[] SessionBytes;
        public ulong Seq;
        public double Pts;
        public readonly FaceMotion Motion = new FaceMotion();
    }

    /// <summary>Typed lookups in decoded maps, tolerant of integer/float width as the protocol asks.</summary>
    public static class WireMaps
    {
        public static string Str(Dictionary<string, object> m, string key, string fallback)
        {
            object o;
            return m.TryGetValue(key, out o) && o is string ? (string)o : fallback;
        }

        public static bool Bool(Dictionary<string, object> m, string key, bool fallback)
        {
            object o;
            return m.TryGetValue(key, out o) && o is bool ? (bool)o : fallback;
        }

        public static double Num(Dictionary<string, object> m, string key, double fallback)
        {
            object o;
            if (!m.TryGetValue(key, out o) || o == null) return fallback;
            if (o is double) return (double)o;
            if (o is long) return (long)o;
            if (o is ulong) return (ulong)o;
            return fallback;
        }

        public static long Int(Dictionary<string, object> m, string key, long fallback)
        {
            object o;
            if (!m.TryGetValue(key, out o) || o == null) return fallback;
            if (o is long) return (long)o;
            if (o is double) return (long)(double)o;
            return fallback;
        }

        public static Dictionary<string, object> Map(Dictionary<string, object> m, string key)
        {
            object o;
            return m.TryGetValue(key, out o) ? o as Dictionary<string, object> : null;
        }

        public static List<SessionStatus> SessionList(Dictionary<string, object> m)
        {
            var result = new List<SessionStatus>();
            object o;
            if (!m.TryGetValue("sessions", out o)) return result;
            var list = o as List<object>;
            if (list == null) throw new FacecastProtocolException("'sessions' is not a list");
            foreach (var item in list)
            {
                var e = item as Dictionary<string, object>;
                if (e == null) throw new FacecastProtocolException("a 'sessions' entry is not a map");
                result.Add(SessionStatus.FromMap(e));
            }
            return result;
        }
    }
}
