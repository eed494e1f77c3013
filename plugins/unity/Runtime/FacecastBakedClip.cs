using System;
using System.Collections.Generic;
using UnityEngine;

namespace Facecast
{
    /// <summary>A `facecast bake` file as editable curves: one AnimationCurve per motion value
    /// (blendshapes, visemes, head, gaze, each emotion's intensity), made by the importer (Editor) or
    /// at run time with FromBake. Sampled by FacecastBakedPlayer with no runtime service.</summary>
    [CreateAssetMenu(menuName = "Facecast/Baked Clip", fileName = "FacecastBakedClip")]
    public sealed class FacecastBakedClip : ScriptableObject
    {
        [Serializable]
        public sealed class Channel
        {
            [Tooltip("An ARKit name, viseme:NAME, head:FIELD, gaze:FIELD or emotion:LABEL.")]
            public string source;
            public AnimationCurve curve = new AnimationCurve();
        }

        public float fps = 25f;
        public float duration;
        public List<Channel> channels = new List<Channel>();

        [NonSerialized] MotionSource[] _parsed;

        /// <summary>Builds curves from a parsed bake file: a key per frame, linear between keys.</summary>
        public static FacecastBakedClip FromBake(BakeFile bake)
        {
            var clip = CreateInstance<FacecastBakedClip>();
            clip.Fill(bake);
            return clip;
        }

        public void Fill(BakeFile bake)
        {
            fps = (float)bake.Fps;
            duration = (float)bake.Duration;
            channels.Clear();
            _parsed = null;
            var sources = new List<string>();
            sources.AddRange(FacecastNames.Arkit);
            foreach (var v in FacecastNames.Visemes) sources.Add("viseme:" + v);
            foreach (var h in FacecastNames.HeadFields) sources.Add("head:" + h);
            foreach (var g in MotionSource.GazeFields) sources.Add("gaze:" + g);
            foreach (var e in FacecastNames.Emotions) sources.Add("emotion:" + e);
            double t0 = bake.Frames.Count > 0 ? bake.Frames[0].T : 0;
            foreach (var s in sources)
            {
                var src = MotionSource.Parse(s);
                int n = bake.Frames.Count;
                var times = new float[n];
                var values = new float[n];
                for (int i = 0; i < n; i++)
                {
                    times[i] = (float)(bake.Frames[i].T - t0);
                    values[i] = src.Evaluate(bake.Frames[i]);
                }
                // Linear between frames, like the runtime's own interpolation: each key's tangents
                // are the slopes to its neighbours.
                var keys = new Keyframe[n];
                for (int i = 0; i < n; i++)
                {
                    float inT = i > 0 ? Slope(times, values, i - 1, i) : 0f;
                    float outT = i < n - 1 ? Slope(times, values, i, i + 1) : 0f;
                    keys[i] = new Keyframe(times[i], values[i], inT, outT);
                }
                var curve = new AnimationCurve(keys);
                channels.Add(new Channel { source = s, curve = curve });
            }
        }

        static float Slope(float[] t, float[] v, int a, int b)
        {
            float dt = t[b] - t[a];
            return dt > 0f ? (v[b] - v[a]) / dt : 0f;
        }

        /// <summary>The motion at time t (seconds from the start) into `result`, without allocating
        /// after the first call. The emotion in force is the one with the highest curve value.</summary>
        public void Evaluate(float t, FaceMotion result)
        {
            if (_parsed == null || _parsed.Length != channels.Count)
            {
                _parsed = new MotionSource[channels.Count];
                for (int i = 0; i < channels.Count; i++)
                {
                    MotionSource s;
                    string error;
                    MotionSource.TryParse(channels[i].source, out s, out error);
                    _parsed[i] = s;
                }
            }
            result.Reset();
            result.T = t;
            float bestEmotion = 0f;
            for (int i = 0; i < channels.Count; i++)
            {
                var s = _parsed[i];
                if (!s.IsValid) continue;
                float v = channels[i].curve.Evaluate(t);
                switch (s.Kind)
                {
                    case MotionSource.SourceKind.Blendshape: result.Blendshapes[s.Index] = v; break;
                    case MotionSource.SourceKind.Viseme: result.Visemes[s.Index] = v; break;
                    case MotionSource.SourceKind.Head: SetHead(result, s.Index, v); break;
                    case MotionSource.SourceKind.Gaze: SetGaze(result, s.Index, v); break;
                    case MotionSource.SourceKind.Emotion:
                        if (v > bestEmotion) { bestEmotion = v; result.EmotionLabel = s.Label; result.EmotionIntensity = v; }
                        break;
                }
            }
        }

        static void SetHead(FaceMotion m, int i, float v)
        {
            switch (i)
            {
                case 0: m.HeadYaw = v; break;
                case 1: m.HeadPitch = v; break;
                case 2: m.HeadRoll = v; break;
                case 3: m.HeadX = v; break;
                case 4: m.HeadY = v; break;
                default: m.HeadScale = v; break;
            }
        }

        static void SetGaze(FaceMotion m, int i, float v)
        {
            switch (i)
            {
                case 0: m.GazeLeftYaw = v; break;
                case 1: m.GazeLeftPitch = v; break;
                case 2: m.GazeRightYaw = v; break;
                default: m.GazeRightPitch = v; break;
            }
        }
    }
}
