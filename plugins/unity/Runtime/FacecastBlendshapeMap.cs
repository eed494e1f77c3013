using System.Collections.Generic;
using UnityEngine;

namespace Facecast
{
    /// <summary>Which motion values drive which mesh blendshapes, with a gain and a remap range per
    /// line: an asset shared by every NPC with the same rig. Start from a preset (ARKit, Oculus
    /// visemes, VRM 1.0 or 0.x names) and edit lines in the inspector.</summary>
    [CreateAssetMenu(menuName = "Facecast/Blendshape Map", fileName = "FacecastBlendshapeMap")]
    public sealed class FacecastBlendshapeMap : ScriptableObject
    {
        [Tooltip("Each line: Source (jawOpen, viseme:aa, emotion:happy, vrm:blink, head:yaw ...) -> Target mesh blendshape, times Gain, remapped from [InMin, InMax] to [OutMin, OutMax].")]
        public List<BlendshapeBinding> bindings = new List<BlendshapeBinding>();

        /// <summary>Replaces (or extends) the lines with a preset's.</summary>
        public void ApplyPreset(BlendshapePreset preset, bool append = false)
        {
            if (!append) bindings.Clear();
            bindings.AddRange(BlendshapeMapping.Preset(preset));
        }

        /// <summary>A new in-memory map holding a preset (for code and tests; assets come from the menu).</summary>
        public static FacecastBlendshapeMap FromPreset(BlendshapePreset preset)
        {
            var map = CreateInstance<FacecastBlendshapeMap>();
            map.name = preset.ToString();
            map.ApplyPreset(preset);
            return map;
        }
    }
}
