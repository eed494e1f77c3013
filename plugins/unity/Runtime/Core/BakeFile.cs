using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Facecast
{
    /// <summary>A `facecast bake` file (docs/bake-format.md): FaceMotion per frame at a fixed rate,
    /// JSON ("format": "facecast-motion") or CSV. The offline path for NPC lines that are known in
    /// advance: import once, play back without a runtime.</summary>
    public sealed class BakeFile
    {
        public const string FormatName = "facecast-motion";
        public const int FormatVersion = 1;

        public double Fps;
        public readonly List<FaceMotion> Frames = new List<FaceMotion>();
        /// <summary>The header fields other than the frames (e.g. source audio, seed).</summary>
        public Dictionary<string, object> Meta = new Dictionary<string, object>();

        /// <summary>Seconds: the header's "duration" (the audio's) when present, else frames / fps.</summary>
        public double Duration
        {
            get
            {
                object d;
                if (Meta.TryGetValue("duration", out d) && d is double && (double)d > 0) return (double)d;
                return Frames.Count == 0 ? 0 : Frames[Frames.Count - 1].T - Frames[0].T + 1.0 / Fps;
            }
        }

        /// <summary>Reads .json or .csv by the file's contents (JSON starts with '{').</summary>
        public static BakeFile Parse(string text, string nameForErrors = "bake file")
        {
            string trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            try
            {
                return trimmed.StartsWith("{", StringComparison.Ordinal) ? ParseJson(text, nameForErrors) : ParseCsv(text, nameForErrors);
            }
            catch (FormatException e) { throw new FormatException(nameForErrors + ": " + e.Message, e); }
        }

        public static BakeFile Load(string path) { return Parse(File.ReadAllText(path), Path.GetFileName(path)); }

        static BakeFile ParseJson(string text, string name)
        {
            var root = MiniJson.Parse(text) as Dictionary<string, object>;
            if (root == null) throw new FormatException("the top level is not an object");
            object fmt;
            if (!root.TryGetValue("format", out fmt) || !(FormatName.Equals(fmt)))
                throw new FormatException("not a facecast bake file (\"format\" is not \"" + FormatName + "\")");
            double version = WireMaps.Num(root, "version", -1);
            if (version != FormatVersion)
                throw new FormatException("bake format version " + version + " is not supported (this package reads version " + FormatVersion + ")");
            var b = new BakeFile();
            b.Fps = WireMaps.Num(root, "fps", 0);
            if (!(b.Fps > 0 && b.Fps <= 1000)) throw new FormatException("\"fps\" must be a positive number, got " + b.Fps);
            object framesObj;
            var frames = root.TryGetValue("frames", out framesObj) ? framesObj as List<object> : null;
            if (frames == null) throw new FormatException("no \"frames\" list");
            for (int i = 0; i < frames.Count; i++)
            {
                var d = frames[i] as Dictionary<string, object>;
                if (d == null) throw new FormatException("frame " + i + " is not an object");
                var m = new FaceMotion();
                FromMap(d, m, i);
                b.Frames.Add(m);
            }
            foreach (var kv in root)
                if (kv.Key != "frames") b.Meta[kv.Key] = kv.Value;
            return b;
        }

        /// <summary>One frame from its JSON map (FaceMotion.to_dict). Unknown names are an error here,
        /// as in runtime/facemotion.py's from_dict: a file is not a live stream from a newer server.</summary>
        public static void FromMap(Dictionary<string, object> d, FaceMotion m, int index)
        {
            m.Reset();
            m.T = WireMaps.Num(d, "t", index);
            ReadNamed(WireMaps.Map(d, "blendshapes"), FacecastNames.Arkit, m.Blendshapes, "blendshape", index);
            ReadNamed(WireMaps.Map(d, "visemes"), FacecastNames.Visemes, m.Visemes, "viseme", index);
            var head = WireMaps.Map(d, "head");
            if (head != null)
            {
                m.HeadYaw = (float)WireMaps.Num(head, "yaw", 0); m.HeadPitch = (float)WireMaps.Num(head, "pitch", 0);
                m.HeadRoll = (float)WireMaps.Num(head, "roll", 0); m.HeadX = (float)WireMaps.Num(head, "x", 0);
                m.HeadY = (float)WireMaps.Num(head, "y", 0); m.HeadScale = (float)WireMaps.Num(head, "scale", 1);
            }
            var gaze = WireMaps.Map(d, "gaze");
            if (gaze != null)
            {
                var l = WireMaps.Map(gaze, "left");
                var r = WireMaps.Map(gaze, "right");
                if (l != null) { m.GazeLeftYaw = (float)WireMaps.Num(l, "yaw", 0); m.GazeLeftPitch = (float)WireMaps.Num(l, "pitch", 0); }
                if (r != null) { m.GazeRightYaw = (float)WireMaps.Num(r, "yaw", 0); m.GazeRightPitch = (float)WireMaps.Num(r, "pitch", 0); }
            }
            var emo = WireMaps.Map(d, "emotion");
            if (emo != null) SetEmotion(m, WireMaps.Str(emo, "label", "neutral"), (float)WireMaps.Num(emo, "intensity", 0), index);
        }

        static void SetEmotion(FaceMotion m, string label, float intensity, int index)
        {
            int e = FacecastNames.EmotionIndex(label);
            if (e < 0) throw new FormatException("frame " + index + ": unknown emotion '" + label + "'");
            m.EmotionLabel = FacecastNames.Emotions[e];
            m.EmotionIntensity = intensity;
        }

        static void ReadNamed(Dictionary<string, object> map, string[] names, float[] values, string what, int index)
        {
            if (map == null) return;
            foreach (var kv in map)
            {
                int i = Array.IndexOf(names, kv.Key);
                if (i < 0) throw new FormatException("frame " + index + ": unknown " + what + " '" + kv.Key + "'");
                if (!(kv.Value is double)) throw new FormatException("frame " + index + ": " + what + " '" + kv.Key + "' is not a number");
                values[i] = (float)(double)kv.Value;
            }
        }

        static BakeFile ParseCsv(string text, string name)
        {
            var lines = text.Replace("\r\n", "\n").Split('\n');
            string[] cols = lines[0].TrimStart('\uFEFF').Split(',');
            var col = new Dictionary<string, int>();
            for (int i = 0; i < cols.Length; i++) col[cols[i]] = i;
            if (!col.ContainsKey("t") || !col.ContainsKey("jawOpen") || !col.ContainsKey("head.yaw"))
                throw new FormatException("unexpected CSV columns (not a facecast bake file?)");
            var b = new BakeFile();
            for (int li = 1; li < lines.Length; li++)
            {
                if (lines[li].Length == 0) continue;
                string[] f = lines[li].Split(',');
                if (f.Length != cols.Length) throw new FormatException("CSV line " + (li + 1) + " has " + f.Length + " fields, the header has " + cols.Length);
                var m = new FaceMotion();
                m.T = Num(f, col["t"], li);
                for (int i = 0; i < FaceMotion.BlendshapeCount; i++) m.Blendshapes[i] = (float)Num(f, Col(col, FacecastNames.Arkit[i]), li);
                for (int i = 0; i < FaceMotion.VisemeCount; i++) m.Visemes[i] = (float)Num(f, Col(col, "viseme." + FacecastNames.Visemes[i]), li);
                m.HeadYaw = (float)Num(f, Col(col, "head.yaw"), li); m.HeadPitch = (float)Num(f, Col(col, "head.pitch"), li);
                m.HeadRoll = (float)Num(f, Col(col, "head.roll"), li); m.HeadX = (float)Num(f, Col(col, "head.x"), li);
                m.HeadY = (float)Num(f, Col(col, "head.y"), li); m.HeadScale = (float)Num(f, Col(col, "head.scale"), li);
                m.GazeLeftYaw = (float)Num(f, Col(col, "gaze.left.yaw"), li); m.GazeLeftPitch = (float)Num(f, Col(col, "gaze.left.pitch"), li);
                m.GazeRightYaw = (float)Num(f, Col(col, "gaze.right.yaw"), li); m.GazeRightPitch = (float)Num(f, Col(col, "gaze.right.pitch"), li);
                SetEmotion(m, f[Col(col, "emotion.label")], (float)Num(f, Col(col, "emotion.intensity"), li), li - 1);
                b.Frames.Add(m);
            }
            // CSV has no header fields: the rate is what the timestamps say.
            b.Fps = b.Frames.Count >= 2 ? Math.Round(1.0 / (b.Frames[1].T - b.Frames[0].T), 3) : 25.0;
            if (!(b.Fps > 0)) throw new FormatException("CSV timestamps do not increase");
            b.Meta["format"] = FormatName;
            return b;
        }

        static int Col(Dictionary<string, int> col, string name)
        {
            int i;
            if (!col.TryGetValue(name, out i)) throw new FormatException("CSV has no column '" + name + "'");
            return i;
        }

        static double Num(string[] f, int i, int line)
        {
            double v;
            if (!double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw new FormatException("CSV line " + (line + 1) + ": '" + f[i] + "' is not a number");
            return v;
        }

        /// <summary>The motion at time t (seconds from the first frame), linearly interpolated; held at
        /// the ends. Writes into `result` (no allocation).</summary>
        public void Sample(double t, FaceMotion result)
        {
            if (Frames.Count == 0) { result.Reset(); return; }
            double pos = t * Fps;
            if (pos <= 0) { result.CopyFrom(Frames[0]); return; }
            int i = (int)Math.Floor(pos);
            if (i >= Frames.Count - 1) { result.CopyFrom(Frames[Frames.Count - 1]); return; }
            result.Lerp(Frames[i], Frames[i + 1], (float)(pos - i));
        }
    }
}
