using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Facecast.CoreTests
{
    /// <summary>The golden fixtures of docs/protocol/fixtures decode to the documented values, and the
    /// requests this package writes are byte-identical to the Python encoder's.</summary>
    public static class FixtureTests
    {
        static byte[] F(string name)
        {
            return File.ReadAllBytes(Path.Combine(Env.Require(Env.Fixtures, "--fixtures"), name));
        }

        static string Hex(byte[] b, int off, int n)
        {
            return BitConverter.ToString(b, off, n).Replace("-", "").ToLowerInvariant();
        }

        [Test]
        public static void FrameRgbaDecodesToTheDocumentedImage()
        {
            Assert.Equal("frame/npc-1/", Encoding.ASCII.GetString(F("frame_topic.bin")), "topic");
            var h = new FrameHeader();
            var head = F("frame_header.msgpack");
            WireDecoder.DecodeFrameHeader(head, 0, head.Length, new MsgPackReader(), h);
            Assert.Equal("npc-1", h.Session, "session");
            Assert.Equal(7UL, h.Seq, "seq");
            Assert.Equal(BitConverter.Int64BitsToDouble(0x3FC6666666666666), h.Pts, "pts");
            Assert.Equal(4, h.Width, "width");
            Assert.Equal(2, h.Height, "height");
            Assert.Equal(PixelFormat.Rgba, h.Format, "format");
            Assert.Equal(16, h.Stride, "stride");

            var px = F("frame_pixels.bin");
            var box = new FrameMailbox { BottomUp = false };
            box.Write(h, px, 0, px.Length);
            FrameSlot s;
            Assert.True(box.TryTake(out s), "a frame is waiting");
            Assert.Equal("ff0000ff00ff00ff0000ffffffffff80000000000a141e28323c46ffc8643200", Hex(s.Pixels, 0, 32), "top-down pixels");
            // Bottom-up (Unity's texture order): row 1 first.
            var up = new FrameMailbox { BottomUp = true };
            up.Write(h, px, 0, px.Length);
            up.TryTake(out s);
            Assert.Equal("000000000a141e28323c46ffc8643200" + "ff0000ff00ff00ff0000ffffffffff80", Hex(s.Pixels, 0, 32), "bottom-up pixels");
            Assert.Equal(7UL, s.Seq, "slot seq");
        }

        [Test]
        public static void FrameBgraDecodes()
        {
            var h = new FrameHeader();
            var head = F("frame_bgra_header.msgpack");
            WireDecoder.DecodeFrameHeader(head, 0, head.Length, new MsgPackReader(), h);
            Assert.Equal(PixelFormat.Bgra, h.Format, "format");
            Assert.Equal(8UL, h.Seq, "seq");
            Assert.Equal(0.2, h.Pts, "pts");
            var px = F("frame_bgra_pixels.bin");
            var box = new FrameMailbox { BottomUp = false };
            box.Write(h, px, 0, px.Length);
            FrameSlot s;
            box.TryTake(out s);
            Assert.Equal("0000ffff00ff00ffff0000ffffffff80000000001e140a28463c32ff3264c800", Hex(s.Pixels, 0, 32), "pixels");
        }

        [Test]
        public static void PaddedStrideIsHonouredAndShortPixelsRejected()
        {
            var h = new FrameHeader { Session = "s", Width = 2, Height = 2, Stride = 12, Format = PixelFormat.Rgba };
            var px = new byte[24];
            for (int i = 0; i < 24; i++) px[i] = (byte)i;
            var box = new FrameMailbox { BottomUp = false };
            box.Write(h, px, 0, 24);
            FrameSlot s;
            box.TryTake(out s);
            Assert.Equal("0001020304050607" + "0c0d0e0f10111213", Hex(s.Pixels, 0, 16), "padding dropped");
            Assert.Contains("header says", Assert.Throws<FacecastProtocolException>(() => box.Write(h, px, 0, 20), "short").Message, "short");
        }

        [Test]
        public static void PoseDecodesToTheDocumentedMotion()
        {
            Assert.Equal("pose/npc-1/", Encoding.ASCII.GetString(F("pose_topic.bin")), "topic");
            var b = F("pose_header.msgpack");
            var p = new PoseHeader();
            WireDecoder.DecodePose(b, 0, b.Length, new MsgPackReader(), p);
            Assert.Equal("npc-1", p.Session, "session");
            Assert.Equal(50UL, p.Seq, "seq");
            Assert.Equal(1.25, p.Pts, "pts");
            var m = p.Motion;
            Assert.Equal(1.25, m.T, "t");
            for (int i = 0; i < 52; i++)
            {
                string n = FacecastNames.Arkit[i];
                float want = n == "eyeBlinkLeft" ? 0.25f : n == "jawOpen" ? 0.5f : n == "mouthSmileRight" ? 0.125f : 0f;
                Assert.Equal(want, m.Blendshapes[i], n);
            }
            for (int i = 0; i < 15; i++)
            {
                string n = FacecastNames.Visemes[i];
                Assert.Equal(n == "PP" ? 0.25f : n == "aa" ? 0.75f : 0f, m.Visemes[i], "viseme " + n);
            }
            Assert.Equal(10.5f, m.HeadYaw, "yaw"); Assert.Equal(-5.25f, m.HeadPitch, "pitch"); Assert.Equal(2.0f, m.HeadRoll, "roll");
            Assert.Equal(0.0625f, m.HeadX, "x"); Assert.Equal(-0.03125f, m.HeadY, "y"); Assert.Equal(1.125f, m.HeadScale, "scale");
            Assert.Equal(4.5f, m.GazeLeftYaw, "gaze l yaw"); Assert.Equal(-2.25f, m.GazeLeftPitch, "gaze l pitch");
            Assert.Equal(4.5f, m.GazeRightYaw, "gaze r yaw"); Assert.Equal(-2.25f, m.GazeRightPitch, "gaze r pitch");
            Assert.Equal("happy", m.EmotionLabel, "emotion");
            Assert.True(ReferenceEquals(m.EmotionLabel, FacecastNames.Emotions[1]), "known label reuses the table string");
            Assert.Equal(0.5f, m.EmotionIntensity, "intensity");
            Assert.Equal(0.5f, m["JawOpen"], "alias lookup");
            Assert.Equal(0.25f, m["eyeBlink_L"], "raw alias lookup");
        }

        [Test]
        public static void PoseDecodingAllocatesNothingInSteadyState()
        {
            var b = F("pose_header.msgpack");
            var p = new PoseHeader();
            var r = new MsgPackReader();
            WireDecoder.DecodePose(b, 0, b.Length, r, p);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++) WireDecoder.DecodePose(b, 0, b.Length, r, p);
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(after - before < 1024, "1000 pose decodes allocated " + (after - before) + " bytes");
            // The counter does see allocations (so the check above can fail).
            long b0 = GC.GetAllocatedBytesForCurrentThread();
            var junk = new byte[4096];
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - b0 >= 4096 && junk.Length == 4096, "allocation counter works");
        }

        [Test]
        public static void StatusDecodesBothSessions()
        {
            Assert.Equal("status", Encoding.ASCII.GetString(F("status_topic.bin")), "topic");
            var b = F("status.msgpack");
            var s = WireDecoder.DecodeStatus(b, 0, b.Length);
            Assert.Equal(1700000000.25, s.Time, "time");
            Assert.Equal(2, s.Sessions.Count, "sessions");
            var a = s.Sessions[0];
            Assert.Equal("npc-1", a.Session, "s1"); Assert.Equal("speaking", a.State, "state"); Assert.Equal(false, a.PoseOnly, "pose_only");
            Assert.Equal(40.0, a.Fps, "fps"); Assert.Equal(1.5, a.QueuedAudioS, "queued"); Assert.Equal(120L, a.Frames, "frames");
            Assert.Equal(2L, a.Dropped, "dropped"); Assert.True(a.ErrorCode == null, "no error");
            var c = s.Sessions[1];
            Assert.Equal("error", c.State, "s2 state"); Assert.Equal(true, c.PoseOnly, "s2 pose_only");
            Assert.Equal("bad_audio", c.ErrorCode, "s2 code"); Assert.Equal("cannot decode line2.ogg", c.ErrorMessage, "s2 message");
        }

        [Test]
        public static void RepliesDecode()
        {
            var b = F("reply_ping.msgpack");
            var r = ControlReply.Decode(b, 0, b.Length);
            Assert.True(r.Ok, "ping ok"); Assert.Equal(1L, r.Id, "id"); Assert.Equal(1.0, r.Num("protocol"), "protocol"); Assert.Equal(1700000000.25, r.Num("time"), "time");
            b = F("reply_open.msgpack");
            r = ControlReply.Decode(b, 0, b.Length);
            Assert.Equal("npc-1", r.Str("session"), "session"); Assert.Equal(512.0, r.Num("size"), "size"); Assert.Equal(40.0, r.Num("fps"), "fps");
            b = F("reply_push_audio.msgpack");
            r = ControlReply.Decode(b, 0, b.Length);
            Assert.Equal(2.5, r.Num("pts"), "pts"); Assert.Equal(0.25, r.Num("duration_s"), "duration"); Assert.Equal(0.75, r.Num("queued_audio_s"), "queued");
            b = F("reply_status.msgpack");
            r = ControlReply.Decode(b, 0, b.Length);
            Assert.Equal(7L, r.Id, "status id");
            Assert.Equal(120L, WireMaps.SessionList(r.Fields)[0].Frames, "status frames");
            b = F("reply_error_unknown_session.msgpack");
            r = ControlReply.Decode(b, 0, b.Length);
            Assert.True(!r.Ok, "error"); Assert.Equal("unknown_session", r.ErrorCode, "code"); Assert.Equal("no session 'npc-9'; open it first", r.ErrorMessage, "message");
            b = F("reply_error_malformed.msgpack");
            r = ControlReply.Decode(b, 0, b.Length);
            Assert.Equal(-1L, r.Id, "nil id"); Assert.Equal("malformed", r.ErrorCode, "malformed");
        }

        static void SameAsFixture(string file, Dictionary<string, object> map)
        {
            string want = Hex(F(file), 0, F(file).Length);
            var bytes = MsgPackWriter.Encode(map);
            Assert.Equal(want, Hex(bytes, 0, bytes.Length), file);
        }

        static Dictionary<string, object> Req(long id, string op)
        {
            return new Dictionary<string, object> { { "v", 1 }, { "id", id }, { "op", op } };
        }

        [Test]
        public static void RequestsAreByteIdenticalToThePythonEncoder()
        {
            SameAsFixture("request_ping.msgpack", Req(1, "ping"));
            var open = Req(2, "open");
            open["session"] = "npc-1"; open["pose_only"] = false; open["size"] = 512; open["fps"] = 40.0; open["format"] = "RGBA";
            SameAsFixture("request_open.msgpack", open);
            var load = Req(3, "load_avatar"); load["session"] = "npc-1"; load["path"] = "/srv/portraits/npc1.png";
            SameAsFixture("request_load_avatar.msgpack", load);
            var push = Req(4, "push_audio"); push["session"] = "npc-1"; push["sample_rate"] = 48000; push["channels"] = 1; push["dtype"] = "int16";
            SameAsFixture("request_push_audio.msgpack", push);
            var set = Req(6, "set"); set["session"] = "npc-1";
            set["controls"] = new Dictionary<string, object>
            {
                { "emotion", "happy" }, { "emotion_intensity", 0.5 }, { "gaze", new List<object> { 10.0, -5.0 } },
                { "distance", 1.25 }, { "intensity", 0.75 }, { "seed", 42 }, { "background", "transparent" },
            };
            SameAsFixture("request_set.msgpack", set);
            var play = Req(5, "play_file"); play["session"] = "npc-1"; play["path"] = "/srv/audio/line1.wav";
            SameAsFixture("request_play_file.msgpack", play);
            SameAsFixture("request_status.msgpack", Req(7, "status"));
            var close = Req(8, "close"); close["session"] = "npc-1";
            SameAsFixture("request_close.msgpack", close);
            // The push_audio payload: int16 little-endian.
            var samples = new short[] { 0, 1000, -1000, 32767, -32768, 1, -1, 0 };
            var pcm = new byte[16];
            Buffer.BlockCopy(samples, 0, pcm, 0, 16);
            Assert.Equal(Hex(F("request_push_audio_payload.bin"), 0, 16), Hex(pcm, 0, 16), "payload");
        }

        /// <summary>The typed API on a fresh connection numbers its requests 1, 2, 3... like the
        /// fixtures, so each request as it reaches a real ROUTER must equal its fixture byte for byte.</summary>
        [Test]
        public static void TheTypedApiPutsTheFixtureBytesOnTheWire()
        {
            using (var router = PeerProcess.Peer("router"))
            {
                int port = router.Port();
                using (var conn = new FacecastConnection("tcp://127.0.0.1:" + port, "tcp://127.0.0.1:1"))
                {
                    var seen = new List<ControlReply>();
                    Action<ControlReply> keep = r => { lock (seen) seen.Add(r); };
                    keep(conn.Control.Request(new Dictionary<string, object> { { "op", "ping" } }));
                    var s = FacecastSession.Open(conn, new SessionOptions { Session = "npc-1", Size = 512, Fps = 40f });
                    keep(s.LoadAvatar("/srv/portraits/npc1.png"));
                    var pcm = F("request_push_audio_payload.bin");
                    var done = new System.Threading.CountdownEvent(2);
                    s.PushAudioInt16(pcm, 0, pcm.Length, 48000, 1, r => { keep(r); done.Signal(); });
                    keep(s.PlayFile("/srv/audio/line1.wav"));
                    s.Set(new Dictionary<string, object>
                    {
                        { "emotion", "happy" }, { "emotion_intensity", 0.5 }, { "gaze", new List<object> { 10.0, -5.0 } },
                        { "distance", 1.25 }, { "intensity", 0.75 }, { "seed", 42 }, { "background", "transparent" },
                    }, r => { keep(r); done.Signal(); });
                    Assert.True(done.Wait(5000), "push_audio and set replied");
                    keep(conn.Control.Request(new Dictionary<string, object> { { "op", "status" } }));
                    s.Close();
                    var files = new Dictionary<string, string>
                    {
                        { "ping", "request_ping.msgpack" }, { "load_avatar", "request_load_avatar.msgpack" },
                        { "push_audio", "request_push_audio.msgpack" }, { "play_file", "request_play_file.msgpack" },
                        { "set", "request_set.msgpack" }, { "status", "request_status.msgpack" },
                    };
                    lock (seen)
                    {
                        Assert.Equal(files.Count, seen.Count, "replies: " + string.Join(",", seen.ConvertAll(x => x.Str("op") + "#" + x.Id + ":" + x).ToArray()));
                        foreach (var r in seen)
                        {
                            string op = r.Str("op");
                            var want = F(files[op]);
                            Assert.Equal(Hex(want, 0, want.Length), r.Str("raw"), op + " request on the wire");
                            if (op == "push_audio") Assert.Equal("0000e80318fcff7f00800100ffff0000", r.Str("payload_hex"), "samples part");
                        }
                    }
                }
            }
        }

        [Test]
        public static void UnknownKeysAreIgnoredAndWrongVersionsRejected()
        {
            var extra = new Dictionary<string, object>
            {
                { "future", new Dictionary<string, object> { { "x", new List<object> { 1L, 2L } } } },
                { "v", 1 }, { "session", "a" }, { "seq", 3 }, { "pts", 1 }, { "width", 2 }, { "height", 1 }, { "format", "RGBA" },
            };
            var b = MsgPackWriter.Encode(extra);
            var h = new FrameHeader();
            WireDecoder.DecodeFrameHeader(b, 0, b.Length, new MsgPackReader(), h);
            Assert.Equal(8, h.Stride, "stride defaults to width*4");
            Assert.Equal(1.0, h.Pts, "integer pts accepted");
            extra["v"] = 2;
            b = MsgPackWriter.Encode(extra);
            Assert.Contains("version 2", Assert.Throws<FacecastProtocolException>(() => WireDecoder.DecodeFrameHeader(b, 0, b.Length, new MsgPackReader(), h), "v2").Message, "v2");
            extra["v"] = 1; extra["format"] = "YUV";
            b = MsgPackWriter.Encode(extra);
            Assert.Contains("YUV", Assert.Throws<FacecastProtocolException>(() => WireDecoder.DecodeFrameHeader(b, 0, b.Length, new MsgPackReader(), h), "yuv").Message, "yuv");
        }

        [Test]
        public static void EveryTruncationOfEveryFixtureIsRejected()
        {
            foreach (var name in new[] { "frame_header.msgpack", "pose_header.msgpack", "status.msgpack", "reply_open.msgpack" })
            {
                var b = F(name);
                for (int cut = 0; cut < b.Length; cut++)
                {
                    int c = cut;
                    Assert.Throws<FacecastProtocolException>(() =>
                    {
                        if (name.StartsWith("frame")) WireDecoder.DecodeFrameHeader(b, 0, c, new MsgPackReader(), new FrameHeader());
                        else if (name.StartsWith("pose")) WireDecoder.DecodePose(b, 0, c, new MsgPackReader(), new PoseHeader());
                        else if (name.StartsWith("status")) WireDecoder.DecodeStatus(b, 0, c);
                        else ControlReply.Decode(b, 0, c);
                    }, name + " cut at " + c);
                }
            }
        }
    }
}
