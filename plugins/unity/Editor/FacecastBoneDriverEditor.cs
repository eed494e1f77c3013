using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Bone driver settings with a button that finds head, neck and eye bones on a Humanoid.</summary>
    [CustomEditor(typeof(FacecastBoneDriver))]
    public sealed class FacecastBoneDriverEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var d = (FacecastBoneDriver)target;
            var animator = d.GetComponentInParent<Animator>();
            if (animator != null && animator.isHuman && GUILayout.Button("Find bones on the Humanoid avatar"))
            {
                Undo.RecordObject(d, "Find bones");
                d.head = animator.GetBoneTransform(HumanBodyBones.Head);
                d.neck = animator.GetBoneTransform(HumanBodyBones.Neck);
                d.leftEye = animator.GetBoneTransform(HumanBodyBones.LeftEye);
                d.rightEye = animator.GetBoneTransform(HumanBodyBones.RightEye);
                if (d.characterRoot == null) d.characterRoot = animator.transform;
                EditorUtility.SetDirty(d);
            }
            if (d.head == null && d.leftEye == null && d.rightEye == null)
                EditorGUILayout.HelpBox("Assign at least a head or an eye bone.", MessageType.Warning);
        }
    }
}
