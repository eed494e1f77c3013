using System;

namespace Facecast
{
    /// <summary>What a blendshape or curve reads from a FaceMotion, parsed once so evaluating it each
    /// frame is an array lookup. Spellings: an ARKit name in any alias ("jawOpen", "JawOpen",
    /// "eyeBlink_L"), "viseme:aa", "emotion:happy", "vrm:happy" or "vrm:Joy" (a VRM preset's mix),
    /// "head:yaw" (any of yaw pitch roll x y scale), "gaze:leftYaw" (leftYaw leftPitch rightYaw
    /// rightPitch).</summary>
    public struct MotionSource
    {
        public enum SourceKind { None, Blendshape, Viseme, Emotion, Vrm, Head, Gaze }

        public SourceKind Kind;
        public int Index;
        public string Label;
        MotionSource[] _mix;
        float[] _weights;

        public bool IsValid { get { return Kind != SourceKind.None; } }

        /// <summary>Parses a source; throws ArgumentException naming the problem.</summary>
        public static MotionSource Parse(string text)
        {
            MotionSource s;
            string error;
            if (!TryParse(text, out s, out error)) throw new ArgumentException(error);
            return s;
        }

        public static bool TryParse(string text, out MotionSource s, out string error)
        {
            s = new MotionSource();
            error = null;
            if (string.IsNullOrEmpty(text)) { error = "empty motion source"; return false; }
            int colon = text.IndexOf(':');
            string prefix = colon < 0 ? "" : text.Substring(0, colon);
            string name = colon < 0 ? text : text.Substring(colon + 1);
            switch (prefix)
            {
                case "":
                    {
                        string c = FacecastNames.TryCanonical(name);
                        if (c == null) { error = "unknown blendshape '" + name + "': expected an ARKit name such as jawOpen, or viseme:/emotion:/vrm:/head:/gaze: sources"; return false; }
                        s.Kind = SourceKind.Blendshape;
                        s.Index = FacecastNames.ArkitIndex(c);
                        return true;
                    }
                case "viseme":
                    s.Index = FacecastNames.VisemeIndex(name);
                    if (s.Index < 0) { error = "unknown viseme '" + name + "'; expected one of " + string.Join(" ", FacecastNames.Visemes); return false; }
                    s.Kind = SourceKind.Viseme;
                    return true;
                case "emotion":
                    s.Index = FacecastNames.EmotionIndex(name);
                    if (s.Index < 0) { error = "unknown emotion '" + name + "'; expected one of " + string.Join(" ", FacecastNames.Emotions); return false; }
                    s.Kind = SourceKind.Emotion;
                    s.Label = FacecastNames.Emotions[s.Index];
                    return true;
                case "vrm":
                    {
                        VrmPreset preset = FacecastNames.FindVrmPreset(name);
                        if (preset == null) { error = "unknown VRM preset '" + name + "'"; return false; }
                        s.Kind = SourceKind.Vrm;
                        s.Label = preset.Name;
                        s._mix = new MotionSource[preset.Mix.Length];
                        s._weights = new float[preset.Mix.Length];
                        for (int i = 0; i < preset.Mix.Length; i++)
                        {
                            s._mix[i] = Parse(preset.Mix[i].Key);
                            s._weights[i] = preset.Mix[i].Value;
                        }
                        return true;
                    }
                case "head":
                    s.Index = Array.IndexOf(FacecastNames.HeadFields, name);
                    if (s.Index < 0) { error = "unknown head field '" + name + "'; expected one of " + string.Join(" ", FacecastNames.HeadFields); return false; }
                    s.Kind = SourceKind.Head;
                    return true;
                case "gaze":
                    s.Index = Array.IndexOf(GazeFields, name);
                    if (s.Index < 0) { error = "unknown gaze field '" + name + "'; expected one of " + string.Join(" ", GazeFields); return false; }
                    s.Kind = SourceKind.Gaze;
                    return true;
            }
            error = "unknown motion source prefix '" + prefix + "' in '" + text + "'";
            return false;
        }

        public static readonly string[] GazeFields = { "leftYaw", "leftPitch", "rightYaw", "rightPitch" };

        public float Evaluate(FaceMotion m)
        {
            switch (Kind)
            {
                case SourceKind.Blendshape: return m.Blendshapes[Index];
                case SourceKind.Viseme: return m.Visemes[Index];
                case SourceKind.Emotion: return m.EmotionLabel == Label ? m.EmotionIntensity : 0f;
                case SourceKind.Vrm:
                    {
                        float sum = 0f;
                        for (int i = 0; i < _mix.Length; i++) sum += _weights[i] * _mix[i].Evaluate(m);
                        return sum;
                    }
                case SourceKind.Head:
                    switch (Index)
                    {
                        case 0: return m.HeadYaw;
                        case 1: return m.HeadPitch;
                        case 2: return m.HeadRoll;
                        case 3: return m.HeadX;
                        case 4: return m.HeadY;
                        default: return m.HeadScale;
                    }
                case SourceKind.Gaze:
                    switch (Index)
                    {
                        case 0: return m.GazeLeftYaw;
                        case 1: return m.GazeLeftPitch;
                        case 2: return m.GazeRightYaw;
                        default: return m.GazeRightPitch;
                    }
            }
            return 0f;
        }
    }
}
