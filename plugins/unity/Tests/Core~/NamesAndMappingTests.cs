using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;

namespace Facecast.CoreTests
{
    public static class NamesAndMappingTests
    {
        static string Q(string s) { return "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""; }

        /// <summary>Writes the C# tables as JSON for tests/test_unity_core.py to compare with
        /// runtime/names.py (the one place names are spelled).</summary>
        [Test]
        public static void DumpNameTablesForThePythonComparison()
        {
            var sb = new StringBuilder("{");
            sb.Append("\"arkit\": [" + string.Join(", ", Array.ConvertAll(FacecastNames.Arkit, Q)) + "],\n");
            sb.Append("\"visemes\": [" + string.Join(", ", Array.ConvertAll(FacecastNames.Visemes, Q)) + "],\n");
            sb.Append("\"emotions\": [" + string.Join(", ", Array.ConvertAll(FacecastNames.Emotions, Q)) + "],\n");
            sb.Append("\"head_fields\": [" + string.Join(", ", Array.ConvertAll(FacecastNames.HeadFields, Q)) + "],\n");
            var pascal = new List<string>();
            var raw = new List<string>();
            foreach (var n in FacecastNames.Arkit)
            {
                pascal.Add(Q(n) + ": " + Q(FacecastNames.Pascal(n)));
                raw.Add(Q(n) + ": " + Q(FacecastNames.ArkitRaw(n)));
            }
            sb.Append("\"pascal\": {" + string.Join(", ", pascal.ToArray()) + "},\n");
            sb.Append("\"arkit_raw\": {" + string.Join(", ", raw.ToArray()) + "},\n");
            var aliases = new List<string>();
            foreach (var kv in FacecastNames.Aliases) aliases.Add(Q(kv.Key) + ": " + Q(kv.Value));
            sb.Append("\"aliases\": {" + string.Join(", ", aliases.ToArray()) + "},\n");
            var presets = new List<string>();
            var vrm0 = new List<string>();
            foreach (var p in FacecastNames.VrmPresets)
            {
                var mix = new List<string>();
                foreach (var kv in p.Mix) mix.Add(Q(kv.Key) + ": " + kv.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                presets.Add(Q(p.Name) + ": {" + string.Join(", ", mix.ToArray()) + "}");
                vrm0.Add(Q(p.Name) + ": " + Q(p.Vrm0Name));
            }
            sb.Append("\"vrm_presets\": {" + string.Join(", ", presets.ToArray()) + "},\n");
            sb.Append("\"vrm0_names\": {" + string.Join(", ", vrm0.ToArray()) + "}}\n");
            string json = sb.ToString();
            var parsed = (Dictionary<string, object>)MiniJson.Parse(json); // our own reader reads it back
            Assert.Equal(52, ((List<object>)parsed["arkit"]).Count, "52 ARKit names");
            if (Env.NamesOut != null) File.WriteAllText(Env.NamesOut, json);
        }

        [Test]
        public static void AliasesResolveToArkitNames()
        {
            Assert.Equal("eyeBlinkLeft", FacecastNames.Canonical("eyeBlink_L"), "raw");
            Assert.Equal("eyeBlinkLeft", FacecastNames.Canonical("EyeBlinkLeft"), "pascal");
            Assert.Equal("jawOpen", FacecastNames.Canonical("JawOpen"), "pascal no side");
            Assert.Equal("A", FacecastNames.FindVrmPreset("aa").Vrm0Name, "vrm0");
            Assert.Equal("happy", FacecastNames.FindVrmPreset("Joy").Name, "vrm0 lookup");
            Assert.Contains("jawOpen", Assert.Throws<KeyNotFoundException>(() => FacecastNames.Canonical("jawopen"), "unknown").Message, "hint");
        }

        [Test]
        public static void MotionSourcesReadTheRightValues()
        {
            var m = new FaceMotion();
            m["jawOpen"] = 0.5f;
            m.Visemes[FacecastNames.VisemeIndex("ih")] = 0.4f;
            m.Visemes[FacecastNames.VisemeIndex("E")] = 0.2f;
            m.EmotionLabel = "happy"; m.EmotionIntensity = 0.7f;
            m.HeadYaw = 12f; m.GazeRightPitch = -3f;
            Assert.Equal(0.5f, MotionSource.Parse("JawOpen").Evaluate(m), "alias");
            Assert.Equal(0.4f + 0.5f * 0.2f, MotionSource.Parse("vrm:ih").Evaluate(m), "vrm mix ih = ih + 0.5 E");
            Assert.Equal(0.4f + 0.5f * 0.2f, MotionSource.Parse("vrm:I").Evaluate(m), "vrm0 spelling");
            Assert.Equal(0.7f, MotionSource.Parse("emotion:happy").Evaluate(m), "emotion in force");
            Assert.Equal(0f, MotionSource.Parse("emotion:sad").Evaluate(m), "other emotion");
            Assert.Equal(0.7f, MotionSource.Parse("vrm:Joy").Evaluate(m), "vrm joy");
            Assert.Equal(12f, MotionSource.Parse("head:yaw").Evaluate(m), "head");
            Assert.Equal(-3f, MotionSource.Parse("gaze:rightPitch").Evaluate(m), "gaze");
            Assert.Contains("viseme 'AA'", Assert.Throws<ArgumentException>(() => MotionSource.Parse("viseme:AA"), "bad viseme").Message, "bad viseme");
        }

        [Test]
        public static void MappingFindsShapesUnderExporterSpellingsAndAppliesGainAndRemap()
        {
            var mesh = new List<string> { "blendShape1.JawOpen", "eyeBlink_L", "viseme_aa", "Face.mouthSmileLeft", "unrelated" };
            var bindings = BlendshapeMapping.Preset(BlendshapePreset.Arkit);
            bindings.AddRange(BlendshapeMapping.Preset(BlendshapePreset.OculusVisemes));
            var map = new BlendshapeMapping(bindings, mesh);
            Assert.Equal(4, map.Count, "four shapes found");
            Assert.Equal(52 + 15 - 4, map.Problems.Count, "the rest reported missing");
            var m = new FaceMotion();
            m["jawOpen"] = 0.5f; m["eyeBlinkLeft"] = 1f; m.Visemes[10] = 0.25f; m["mouthSmileLeft"] = 0.1f;
            var w = new float[mesh.Count];
            w[4] = 42f;
            map.Evaluate(m, w, 100f);
            Assert.Near(50f, w[0], 1e-4, "jaw"); Assert.Near(100f, w[1], 1e-4, "blink"); Assert.Near(25f, w[2], 1e-4, "viseme aa");
            Assert.Near(10f, w[3], 1e-4, "smile"); Assert.Equal(42f, w[4], "unmapped shapes untouched");

            // Gain with clamping; remap [0.2, 0.6] -> [0, 1]; two bindings summed into one shape.
            var custom = new List<BlendshapeBinding>
            {
                new BlendshapeBinding("jawOpen", "JawOpen", 3f),
                new BlendshapeBinding("mouthSmileLeft", "mouthSmileLeft") { InMin = 0.2f, InMax = 0.6f },
                new BlendshapeBinding("viseme:aa", "viseme_aa", 1f),
                new BlendshapeBinding("vrm:blink", "viseme_aa", 1f),
            };
            map = new BlendshapeMapping(custom, mesh);
            m["mouthSmileLeft"] = 0.4f;
            map.Evaluate(m, w, 100f);
            Assert.Near(100f, w[0], 1e-4, "gain 3 clamps at 100");
            Assert.Near(50f, w[3], 1e-3, "remapped 0.4 in [0.2,0.6] -> 50");
            Assert.Near(75f, w[2], 1e-3, "aa 0.25 + blink mix 0.5 = 75");
        }

        [Test]
        public static void MappingEvaluationAllocatesNothing()
        {
            var mesh = new List<string>(FacecastNames.Arkit);
            var bindings = BlendshapeMapping.Preset(BlendshapePreset.Arkit);
            bindings.AddRange(BlendshapeMapping.Preset(BlendshapePreset.Vrm));
            var map = new BlendshapeMapping(bindings, mesh);
            var m = new FaceMotion();
            var w = new float[mesh.Count];
            map.Evaluate(m, w, 100f);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++) map.Evaluate(m, w, 100f);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 512, "evaluate allocates nothing");
        }

        [Test]
        public static void HeadAnglesBecomeUnityEulerWithTheDocumentedSigns()
        {
            float x, y, z;
            // Face turns toward the viewer's right = the character's own left = negative yaw in Unity.
            HeadPose.ToUnityEuler(10f, 0f, 0f, out x, out y, out z);
            Assert.Equal(-10f, y, "yaw");
            // Chin up = nose toward +y = negative rotation about x in Unity's left-handed frame.
            HeadPose.ToUnityEuler(0f, 5f, 0f, out x, out y, out z);
            Assert.Equal(-5f, x, "pitch");
            // Forward (0,0,1) rotated by -5 degrees about x: y = -sin(x) > 0, the nose goes up.
            Assert.True(-Math.Sin(x * Math.PI / 180) > 0, "nose up");
            HeadPose.ToUnityEuler(0f, 0f, 7f, out x, out y, out z);
            Assert.Equal(7f, z, "roll");
            Assert.Near(1f, HeadPose.SmoothingFactor(0.1f, 0f), 0, "no smoothing");
            Assert.Near(1 - Math.Exp(-1), HeadPose.SmoothingFactor(0.1f, 0.1f), 1e-6, "one time constant");
        }

        [Test]
        public static void AudioRingKeepsOrderAndDropsOldestWhenFull()
        {
            var ring = new AudioRing(8);
            ring.Write(new float[] { 1, 2, 3, 4, 5 }, 0, 5);
            var dst = new float[8];
            Assert.Equal(3, ring.Read(dst, 3), "read 3");
            Assert.Equal(3f, dst[2], "fifo");
            ring.Write(new float[] { 6, 7, 8, 9, 10, 11, 12 }, 0, 7); // 2 + 7 = 9 > 8: drop the oldest
            Assert.Equal(1L, ring.Dropped, "one dropped");
            Assert.Equal(8, ring.Read(dst, 8), "read all");
            Assert.Equal(5f, dst[0], "oldest kept is 5");
            Assert.Equal(12f, dst[7], "newest last");
            Assert.Equal(0, ring.Read(dst, 8), "empty");
            // Concurrent writer (the audio thread) and reader (the main thread) lose nothing in order.
            var big = new AudioRing(4096);
            var writer = new Thread(() =>
            {
                var chunk = new float[256];
                for (int k = 0; k < 400; k++)
                {
                    for (int i = 0; i < 256; i++) chunk[i] = k * 256 + i;
                    while (big.Count > 4096 - 256) Thread.Sleep(0);
                    big.Write(chunk, 0, 256);
                }
            });
            writer.Start();
            var got = new float[1024];
            float expect = 0;
            while (expect < 400 * 256)
            {
                int n = big.Read(got, 1024);
                for (int i = 0; i < n; i++, expect++) if (got[i] != expect) throw new AssertionException("sample " + expect + " came as " + got[i]);
            }
            writer.Join();
            Assert.Equal(0L, big.Dropped, "nothing dropped");
        }

        [Test]
        public static void MailboxHandsOverTheNewestWithoutTearing()
        {
            var box = new LatestMailbox<long[]>(() => new long[64]);
            var stop = false;
            var writer = new Thread(() =>
            {
                for (long v = 1; !Volatile.Read(ref stop); v++)
                {
                    var b = box.Back;
                    for (int i = 0; i < b.Length; i++) b[i] = v;
                    box.Publish();
                }
            });
            writer.Start();
            long last = 0;
            int takes = 0;
            int end = Environment.TickCount + 300;
            while (Environment.TickCount - end < 0)
            {
                long[] cur;
                if (!box.TryTake(out cur)) { Thread.Sleep(0); continue; }
                takes++;
                for (int i = 1; i < cur.Length; i++) if (cur[i] != cur[0]) throw new AssertionException("torn read: " + cur[0] + " vs " + cur[i]);
                if (cur[0] <= last) throw new AssertionException("went backwards: " + last + " -> " + cur[0]);
                last = cur[0];
            }
            Volatile.Write(ref stop, true);
            writer.Join();
            Assert.True(takes > 10, "took values: " + takes);
            Assert.True(box.Skipped > 0, "a slow reader skips stale values");
        }
    }
}
