using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Preset buttons above the editable lines (source, target, gain, remap).</summary>
    [CustomEditor(typeof(FacecastBlendshapeMap))]
    public sealed class FacecastBlendshapeMapEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            var map = (FacecastBlendshapeMap)target;
            EditorGUILayout.LabelField("Presets (replace the lines; Shift: append)", EditorStyles.boldLabel);
            using (new EditorGUILayout.HorizontalScope())
            {
                foreach (BlendshapePreset p in System.Enum.GetValues(typeof(BlendshapePreset)))
                {
                    if (!GUILayout.Button(p.ToString())) continue;
                    Undo.RecordObject(map, "Apply " + p + " preset");
                    map.ApplyPreset(p, Event.current.shift);
                    EditorUtility.SetDirty(map);
                }
            }
            EditorGUILayout.HelpBox("Source: an ARKit name (jawOpen), viseme:aa, emotion:happy, vrm:blink (a VRM preset's mix), head:yaw or gaze:leftYaw. Target: the mesh's blendshape name (exporter prefixes and ARKit spellings are matched). Weight = remap(Source x Gain) summed per target, 0..1 x the driver's scale.", MessageType.None);
            DrawDefaultInspector();
            foreach (var b in map.bindings)
            {
                MotionSource s;
                string error;
                if (b != null && !MotionSource.TryParse(b.Source, out s, out error)) EditorGUILayout.HelpBox(error, MessageType.Warning);
            }
        }
    }
}
