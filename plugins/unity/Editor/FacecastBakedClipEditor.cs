using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>A summary of a baked clip above its curves (which stay editable).</summary>
    [CustomEditor(typeof(FacecastBakedClip))]
    public sealed class FacecastBakedClipEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            var c = (FacecastBakedClip)target;
            EditorGUILayout.LabelField("Duration", c.duration.ToString("F2") + " s, " + c.fps + " fps, " + c.channels.Count + " curves");
            DrawDefaultInspector();
        }
    }
}
