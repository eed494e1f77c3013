using System;
using System.Collections.Generic;

namespace Facecast
{
    /// <summary>The motion engine's voice gate (the mouth rests where no voice is heard, e.g.
    /// instrumental music). Auto leaves it to the server: on for frame sessions, off for pose-only
    /// ones, where its CPU cost (~37 ms per second of speech) would be most of the session's.</summary>
    public enum VoiceGateMode { Auto, On, Off }

    /// <summary>What `open` asks for (docs/protocol.md, ops). Null fields are left to the server.</summary>
    public sealed class SessionOptions
    {
        /// <summary>Session id (1-64 of A-Z a-z 0-9 _ . -); null lets the server pick one.</summary>
        public string Session;
        public bool PoseOnly;
        public int Size = 512;
        public float Fps = 25f;
        public PixelFormat Format = PixelFormat.Rgba;
        /// <summary>Initial controls (as in `set`), or null.</summary>
        public Dictionary<string, object> Controls;
        public VoiceGateMode VoiceGate = VoiceGateMode.Auto;
    }

    /// <summary>One open session on a shared connection: the typed ops of the protocol plus the
    /// session's mailboxes. Blocking ops (Open, LoadAvatar, Close) wait for their reply; PushAudio
    /// and Set only send and report their reply through a callback on the receive thread.</summary>
    public sealed class FacecastSession : IDisposable
    {
        readonly FacecastConnection _conn;
        byte[] _audioBytes = new byte[0];
        public string Id { get; private set; }
        public SessionChannel Channel { get; private set; }
        public bool PoseOnly { get; private set; }
        public int Size { get; private set; }
        public double Fps { get; private set; }
        /// <summary>Whether the server runs the voice gate for this session (its reply).</summary>
        public bool VoiceGate { get; private set; }

        FacecastSession(FacecastConnection conn) { _conn = conn; }

        public FacecastConnection Connection { get { return _conn; } }

        /// <summary>Opens a session and subscribes to its data before returning, so the first frame
        /// is not missed.</summary>
        public static FacecastSession Open(FacecastConnection conn, SessionOptions o, int timeoutMs = -1)
        {
            var f = new Dictionary<string, object> { { "op", "open" } };
            if (o.Session != null) f["session"] = o.Session;
            f["pose_only"] = o.PoseOnly;
            f["size"] = o.Size;
            f["fps"] = (double)o.Fps;
            f["format"] = o.Format == PixelFormat.Bgra ? "BGRA" : "RGBA";
            if (o.Controls != null) f["controls"] = o.Controls;
            if (o.VoiceGate != VoiceGateMode.Auto) f["voice_gate"] = o.VoiceGate == VoiceGateMode.On;
            var s = new FacecastSession(conn);
            if (o.Session != null) s.Channel = conn.Attach(o.Session, !o.PoseOnly);
            ControlReply r;
            try { r = conn.Control.Request(f, null, timeoutMs); }
            catch
            {
                if (s.Channel != null) conn.Detach(s.Channel);
                throw;
            }
            s.Id = r.Str("session") ?? o.Session;
            s.PoseOnly = WireMaps.Bool(r.Fields, "pose_only", o.PoseOnly);
            s.Size = (int)r.Num("size", o.Size);
            s.Fps = r.Num("fps", o.Fps);
            s.VoiceGate = WireMaps.Bool(r.Fields, "voice_gate", !s.PoseOnly);
            if (s.Channel == null) s.Channel = conn.Attach(s.Id, !s.PoseOnly);
            return s;
        }

        Dictionary<string, object> Op(string op)
        {
            return new Dictionary<string, object> { { "op", op }, { "session", Id } };
        }

        /// <summary>Loads a portrait the server can read from its disk.</summary>
        public ControlReply LoadAvatar(string path, int timeoutMs = 60000)
        {
            var f = Op("load_avatar");
            f["path"] = path;
            return _conn.Control.Request(f, null, timeoutMs);
        }

        /// <summary>Loads a portrait from image file bytes (PNG, JPEG...).</summary>
        public ControlReply LoadAvatarBytes(byte[] image, int timeoutMs = 60000)
        {
            return _conn.Control.Request(Op("load_avatar"), image, timeoutMs);
        }

        /// <summary>Sends float samples (interleaved when channels &gt; 1) as little-endian float32.
        /// Reuses one byte buffer: call from one thread (the main thread).</summary>
        public long PushAudio(float[] samples, int offset, int count, int sampleRate, int channels, Action<ControlReply> onReply)
        {
            int n = count * 4;
            if (_audioBytes.Length < n) _audioBytes = new byte[Math.Max(n, _audioBytes.Length * 2)];
            AudioEncoding.FloatToLittleEndian(samples, offset, count, _audioBytes);
            var f = Op("push_audio");
            f["sample_rate"] = sampleRate;
            f["channels"] = channels;
            f["dtype"] = "float32";
            return _conn.Control.Send(f, _audioBytes, 0, n, onReply);
        }

        /// <summary>Sends 16-bit samples as they are (e.g. from a WAV file).</summary>
        public long PushAudioInt16(byte[] littleEndianSamples, int offset, int count, int sampleRate, int channels, Action<ControlReply> onReply)
        {
            var f = Op("push_audio");
            f["sample_rate"] = sampleRate;
            f["channels"] = channels;
            f["dtype"] = "int16";
            return _conn.Control.Send(f, littleEndianSamples, offset, count, onReply);
        }

        public ControlReply PlayFile(string path, int timeoutMs = -1)
        {
            var f = Op("play_file");
            f["path"] = path;
            return _conn.Control.Request(f, null, timeoutMs);
        }

        /// <summary>Changes controls (emotion, emotion_intensity, gaze, distance, intensity, seed,
        /// background, size, fps); the reply carries the full set in force.</summary>
        public long Set(Dictionary<string, object> controls, Action<ControlReply> onReply)
        {
            var f = Op("set");
            f["controls"] = controls;
            return _conn.Control.Send(f, null, 0, 0, onReply);
        }

        public SessionStatus Status(int timeoutMs = -1)
        {
            var r = _conn.Control.Request(Op("status"), null, timeoutMs);
            var list = WireMaps.SessionList(r.Fields);
            return list.Count > 0 ? list[0] : null;
        }

        /// <summary>Closes the session on the server (best effort) and stops receiving its data.</summary>
        public void Close(int timeoutMs = 2000)
        {
            if (Channel != null) _conn.Detach(Channel);
            Channel = null;
            if (Id == null) return;
            try { _conn.Control.Request(Op("close"), null, timeoutMs); }
            catch (FacecastControlException) { }
            Id = null;
        }

        public void Dispose() { Close(); }
    }

    public static class AudioEncoding
    {
        /// <summary>float samples to little-endian float32 bytes, whatever the machine's byte order.</summary>
        public static void FloatToLittleEndian(float[] src, int offset, int count, byte[] dst)
        {
            if (BitConverter.IsLittleEndian)
            {
                Buffer.BlockCopy(src, offset * 4, dst, 0, count * 4);
                return;
            }
            for (int i = 0; i < count; i++)
            {
                byte[] b = BitConverter.GetBytes(src[offset + i]);
                dst[4 * i] = b[3]; dst[4 * i + 1] = b[2]; dst[4 * i + 2] = b[1]; dst[4 * i + 3] = b[0];
            }
        }
    }
}
