using System;
using System.Collections.Generic;

namespace Facecast
{
    /// <summary>The name tables of runtime/names.py, mirrored (a test compares them): the 52 ARKit
    /// blendshapes, the 15 Oculus visemes, emotions, the aliases other tools use (ARKit raw
    /// "eyeBlink_L", VMC perfect-sync "EyeBlinkLeft") and the VRM expression presets.</summary>
    public static class FacecastNames
    {
        public static readonly string[] Arkit =
        {
            "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
            "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
            "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward",
            "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
            "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
            "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
            "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
            "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
            "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
            "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft",
            "noseSneerRight", "tongueOut",
        };

        public static readonly string[] Visemes =
        {
            "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
        };

        public static readonly string[] Emotions =
        {
            "neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted",
        };

        public static readonly string[] HeadFields = { "yaw", "pitch", "roll", "x", "y", "scale" };

        /// <summary>VRM 1.0 expression presets as weighted mixes of sources: an ARKit name,
        /// "viseme:NAME" or "emotion:LABEL". Same order and weights as runtime/names.py.</summary>
        public static readonly VrmPreset[] VrmPresets =
        {
            new VrmPreset("aa", "A", new[] { W("viseme:aa", 1.0f) }),
            new VrmPreset("ih", "I", new[] { W("viseme:ih", 1.0f), W("viseme:E", 0.5f) }),
            new VrmPreset("ou", "U", new[] { W("viseme:ou", 1.0f) }),
            new VrmPreset("ee", "E", new[] { W("viseme:E", 1.0f) }),
            new VrmPreset("oh", "O", new[] { W("viseme:oh", 1.0f) }),
            new VrmPreset("blink", "Blink", new[] { W("eyeBlinkLeft", 0.5f), W("eyeBlinkRight", 0.5f) }),
            new VrmPreset("blinkLeft", "Blink_L", new[] { W("eyeBlinkLeft", 1.0f) }),
            new VrmPreset("blinkRight", "Blink_R", new[] { W("eyeBlinkRight", 1.0f) }),
            new VrmPreset("happy", "Joy", new[] { W("emotion:happy", 1.0f) }),
            new VrmPreset("angry", "Angry", new[] { W("emotion:angry", 1.0f) }),
            new VrmPreset("sad", "Sorrow", new[] { W("emotion:sad", 1.0f) }),
            new VrmPreset("relaxed", "Fun", new[] { W("emotion:neutral", 0.0f) }),
            new VrmPreset("surprised", "Surprised", new[] { W("emotion:surprised", 1.0f) }),
            new VrmPreset("neutral", "Neutral", new[] { W("emotion:neutral", 1.0f) }),
        };

        static KeyValuePair<string, float> W(string source, float weight)
        {
            return new KeyValuePair<string, float>(source, weight);
        }

        static readonly Dictionary<string, int> ArkitIndexMap = IndexOf(Arkit);
        static readonly Dictionary<string, int> VisemeIndexMap = IndexOf(Visemes);
        static readonly Dictionary<string, int> EmotionIndexMap = IndexOf(Emotions);
        static readonly Dictionary<string, string> AliasMap = BuildAliases();

        static Dictionary<string, int> IndexOf(string[] names)
        {
            var d = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
            for (int i = 0; i < names.Length; i++) d[names[i]] = i;
            return d;
        }

        /// <summary>VMC "perfect sync" spelling: the ARKit name with a capital first letter.</summary>
        public static string Pascal(string arkitName)
        {
            return char.ToUpperInvariant(arkitName[0]) + arkitName.Substring(1);
        }

        /// <summary>ARKit's raw identifiers (ARFaceAnchor.BlendShapeLocation), e.g. eyeBlink_L.</summary>
        public static string ArkitRaw(string arkitName)
        {
            if (arkitName.EndsWith("Left", StringComparison.Ordinal)) return arkitName.Substring(0, arkitName.Length - 4) + "_L";
            if (arkitName.EndsWith("Right", StringComparison.Ordinal)) return arkitName.Substring(0, arkitName.Length - 5) + "_R";
            return arkitName;
        }

        static Dictionary<string, string> BuildAliases()
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var n in Arkit) d[Pascal(n)] = n;
            foreach (var n in Arkit) d[ArkitRaw(n)] = n;
            foreach (var n in Arkit) d[n] = n;
            return d;
        }

        /// <summary>Every alias (camelCase, PascalCase, ARKit raw) mapped to the ARKit camelCase name.</summary>
        public static IEnumerable<KeyValuePair<string, string>> Aliases { get { return AliasMap; } }

        public static int ArkitIndex(string name)
        {
            int i;
            return ArkitIndexMap.TryGetValue(name, out i) ? i : -1;
        }

        public static int VisemeIndex(string name)
        {
            int i;
            return VisemeIndexMap.TryGetValue(name, out i) ? i : -1;
        }

        public static int EmotionIndex(string name)
        {
            int i;
            return name != null && EmotionIndexMap.TryGetValue(name, out i) ? i : -1;
        }

        /// <summary>Any known spelling to the ARKit camelCase name; null when unknown.</summary>
        public static string TryCanonical(string name)
        {
            string c;
            return name != null && AliasMap.TryGetValue(name, out c) ? c : null;
        }

        public static string Canonical(string name)
        {
            string c = TryCanonical(name);
            if (c == null)
                throw new KeyNotFoundException("unknown blendshape name '" + name +
                    "'; expected one of the 52 ARKit names (e.g. 'jawOpen', 'JawOpen' or 'eyeBlink_L')");
            return c;
        }

        /// <summary>A VRM preset by its 1.0 name or its 0.x spelling; null when unknown.</summary>
        public static VrmPreset FindVrmPreset(string name)
        {
            foreach (var p in VrmPresets)
                if (p.Name == name || p.Vrm0Name == name) return p;
            return null;
        }
    }

    /// <summary>One VRM expression preset: 1.0 name, 0.x name and its mix of sources.</summary>
    public sealed class VrmPreset
    {
        public readonly string Name;
        public readonly string Vrm0Name;
        public readonly KeyValuePair<string, float>[] Mix;

        public VrmPreset(string name, string vrm0Name, KeyValuePair<string, float>[] mix)
        {
            Name = name;
            Vrm0Name = vrm0Name;
            Mix = mix;
        }
    }
}
